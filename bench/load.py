"""Load: hundreds of laptops syncing at once and staff reading the API, against `sync-server serve`.

Every laptop (an enrolled device) pushes a few small batches and pulls after each; meanwhile a
staff login reads tallies, units and quotas at a steady rate and a probe asks `/healthz` every
50 ms. The client is plain asyncio + httpx on loopback; a 429 or 503 is resent after a jittered
backoff, as the laptops do, and counted; anything else that is not a success is a failure.
Afterwards the server's database must hold every pushed entry exactly once. The run is bounded:
it stops at its deadline whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.common import Report, percentile
from bench.entries import EntryMaker
from bench.ingest import device_batches, push_bodies
from bench.server import PROVINCE, log_lines, prepare, running_server
from fieldkit.domain import wire
from fieldkit.sync import enroll
from fieldkit.sync.transport import base_headers
from sync_server.db.engine import make_engine
from sync_server.services.users import add_user

PUSH = f"{wire.API_PREFIX}/sync/push"
PULL = f"{wire.API_PREFIX}/sync/pull"
HEALTH = f"{wire.API_PREFIX}/healthz"
RETRIED = frozenset({429, 503})
"""What the client resends after a backoff; any other non-success is a failure."""
MAX_ATTEMPTS = 30
HEALTH_P99_MS = 100.0
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))


@dataclass(frozen=True)
class LoadPlan:
    """How many laptops, how much each pushes, and how hard staff and the probe read."""

    laptops: int
    rounds: int
    """Pushes per laptop, each followed by a pull."""
    batch: int
    """Entries per push."""
    staff_per_s: float
    health_every_s: float = 0.05
    deadline_s: float = 300.0


FULL = LoadPlan(laptops=200, rounds=3, batch=5, staff_per_s=50)
QUICK = LoadPlan(laptops=40, rounds=2, batch=5, staff_per_s=20, deadline_s=120)


@dataclass
class LoadResult:
    """Latencies per kind of request, resends, failures, and what was pushed and stored."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    """Per kind: each request's time from first send to final answer, resends included."""
    resent: Counter[str] = field(default_factory=Counter)
    """Per kind and status: answers that were resent (429/503)."""
    failures: list[str] = field(default_factory=list)
    pushed: set[str] = field(default_factory=set)
    acknowledged: int = 0
    stored: int = 0
    stored_ids: set[str] = field(default_factory=set)
    elapsed_s: float = 0.0
    client_lag_s: float = 0.0
    """The longest this client's event loop was late (it would inflate every latency)."""

    def record(self, kind: str, seconds: float) -> None:
        """One answered request's time."""
        self.seconds.setdefault(kind, []).append(seconds)


class _Requests:
    """Sends requests with the laptops' resend rule and records every outcome."""

    def __init__(self, result: LoadResult, deadline: float) -> None:
        self.result = result
        self.deadline = deadline

    async def send(
        self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs: object
    ) -> httpx.Response | None:
        """The final answer (None once the attempts or the deadline ran out)."""
        started = time.perf_counter()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.TransportError as exc:
                self.result.failures.append(f"{kind} {url}: {type(exc).__name__} {exc}")
                retry_after = None
            else:
                if response.status_code not in RETRIED:
                    self.result.record(kind, time.perf_counter() - started)
                    if not response.is_success:
                        self.result.failures.append(
                            f"{kind} {url}: {response.status_code} {response.text[:200]}"
                        )
                    return response
                self.result.resent[f"{kind} {response.status_code}"] += 1
                retry_after = response.headers.get("Retry-After")
            if time.monotonic() > self.deadline:
                break
            cap = min(5.0, 0.05 * 2**attempt)
            wait = random.uniform(0, cap)
            if retry_after and retry_after.isdigit():
                wait = max(wait, random.uniform(0.5, 1.0) * int(retry_after))
            await asyncio.sleep(wait)
        self.result.failures.append(f"{kind} {url}: gave up")
        return None


async def _laptop(
    requests: _Requests, client: httpx.AsyncClient, bodies: list[tuple[bytes, dict[str, str]]]
) -> None:
    """Push each batch, pulling every page after it, as `fieldkit sync` does."""
    async with client:
        cursor = 0
        for body, headers in bodies:
            pushed = await requests.send(
                client, "push", "POST", PUSH, content=body, headers=headers
            )
            if pushed is not None and pushed.is_success:
                requests.result.acknowledged += len(pushed.json()["results"])
            while True:
                pulled = await requests.send(
                    client, "pull", "GET", PULL, params={"cursor": cursor, "limit": 500}
                )
                if pulled is None or not pulled.is_success:
                    break
                page = pulled.json()
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break


async def _steady(
    requests: _Requests,
    client: httpx.AsyncClient,
    kind: str,
    paths: list[str],
    every_s: float,
    stop: asyncio.Event,
) -> None:
    """Send one request every `every_s` seconds (not waiting for answers) until `stop`."""
    tasks: set[asyncio.Task[httpx.Response | None]] = set()
    due = time.monotonic()
    index = 0
    while not stop.is_set():
        task = asyncio.create_task(requests.send(client, kind, "GET", paths[index % len(paths)]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
        due += every_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
    await asyncio.gather(*tasks)


def _client(base: str, token: str | None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers=base_headers(token), timeout=60)


def _probe_health(base: str, every_s: float, ready: Event, stop: Event, out: Connection) -> None:
    """In a process of its own: GET /healthz every `every_s` until `stop`; send the results.

    Its own process, so the load client's busy event loop does not delay the probe.
    """
    seconds: list[float] = []
    failures: list[str] = []
    with httpx.Client(base_url=base, headers=base_headers(), timeout=30) as client:
        due = time.monotonic()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = client.get(HEALTH)
                if response.status_code != 200:
                    failures.append(f"healthz: {response.status_code} {response.text[:200]}")
            except httpx.TransportError as exc:
                failures.append(f"healthz: {type(exc).__name__} {exc}")
            seconds.append(time.perf_counter() - started)
            ready.set()
            due += every_s
            stop.wait(max(0.0, due - time.monotonic()))
    out.send((seconds, failures))
    out.close()


class _HealthProbe:
    """The health probe process; made once it has had its first answer."""

    def __init__(self, base: str, every_s: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        ready = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_probe_health, args=(base, every_s, ready, self._stop, send), daemon=True
        )
        self._process.start()
        send.close()
        if not ready.wait(120):
            raise RuntimeError("the health probe did not start")

    def stop(self, result: LoadResult) -> None:
        """Stop the probe and add what it measured to `result`."""
        self._stop.set()
        if self._receive.poll(30):
            seconds, failures = self._receive.recv()
            result.seconds["healthz"] = seconds
            result.failures.extend(failures)
        else:
            result.failures.append("the health probe sent nothing back")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


async def _watch_lag(result: LoadResult, stop: asyncio.Event) -> None:
    """Record how late this event loop wakes up from a 10 ms sleep."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.01)
        result.client_lag_s = max(result.client_lag_s, time.perf_counter() - asked - 0.01)


async def drive(
    base: str,
    laptops: list[tuple[str, list[tuple[bytes, dict[str, str]]]]],
    staff_token: str,
    staff_paths: list[str],
    plan: LoadPlan,
) -> LoadResult:
    """Run the laptops at once with staff reads and health probes beside them."""
    result = LoadResult()
    requests = _Requests(result, time.monotonic() + plan.deadline_s)
    stop = asyncio.Event()
    # Clients are made before the clock starts: each one builds an SSL context (tens of ms of
    # CPU), which would otherwise stall this event loop and show up as server latency.
    clients = [_client(base, token) for token, _ in laptops]
    staff = _client(base, staff_token)
    health = _HealthProbe(base, plan.health_every_s)
    started = time.perf_counter()
    async with staff:
        readers = [
            asyncio.create_task(
                _steady(requests, staff, "staff", staff_paths, 1 / plan.staff_per_s, stop)
            ),
            asyncio.create_task(_watch_lag(result, stop)),
        ]
        try:
            async with asyncio.timeout(plan.deadline_s):
                await asyncio.gather(
                    *(_laptop(requests, c, b) for c, (_, b) in zip(clients, laptops, strict=True))
                )
        except TimeoutError:
            result.failures.append(f"the laptops had not finished after {plan.deadline_s:g} s")
        finally:
            stop.set()
            await asyncio.gather(*readers)
    result.elapsed_s = time.perf_counter() - started
    health.stop(result)
    return result


@dataclass(frozen=True)
class Seeded:
    """A seeded server database and what the laptops will push to it."""

    url: str
    codes: dict[str, str]
    """Each village's volunteer's enrollment code."""
    bodies: dict[str, list[tuple[bytes, dict[str, str]]]]
    """Each village's push bodies (mutation ids 1, 2, …), built before the clock starts."""
    ids: set[str]
    staff_password: str


STAFF_NAME = "Cán Bộ Tỉnh"


def seed(tmp: Path, plan: LoadPlan, seed: int = 11) -> Seeded:
    """Province 52's units, one volunteer per laptop (each in a village), a province officer."""
    server_db = prepare(tmp / "server.sqlite3", volunteers=plan.laptops)
    engine = make_engine(server_db.url)
    try:
        with Session(engine) as session:
            added = add_user(session, "province", PROVINCE, STAFF_NAME)
            session.commit()
    finally:
        engine.dispose()
    assert added.password is not None
    maker = EntryMaker(seed=seed, villages=list(server_db.codes))
    bodies: dict[str, list[tuple[bytes, dict[str, str]]]] = {}
    ids: set[str] = set()
    for village in server_db.codes:
        entries = [e for b in device_batches(maker, village, plan.rounds * plan.batch) for e in b]
        batches = [entries[i : i + plan.batch] for i in range(0, len(entries), plan.batch)]
        ids.update(str(e["id"]) for e in entries)
        bodies[village] = push_bodies(batches)
    return Seeded(server_db.url, server_db.codes, bodies, ids, added.password)


def staff_paths(url: str) -> list[str]:
    """What a province officer's pages read: the province's tally, communes' tallies, units."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            communes = conn.execute(
                text("SELECT code FROM units WHERE parent_code = :p ORDER BY code LIMIT 20"),
                {"p": PROVINCE},
            ).scalars()
            paths = [f"{wire.API_PREFIX}/tally?unit={PROVINCE}"]
            for code in communes:
                paths += [
                    f"{wire.API_PREFIX}/tally?unit={code}",
                    f"{wire.API_PREFIX}/units?parent={code}",
                    f"{wire.API_PREFIX}/quotas?unit={code}",
                ]
            conn.rollback()
    finally:
        engine.dispose()
    return paths


def stored_entries(url: str) -> tuple[int, set[str]]:
    """How many entry rows the server holds, and their ids."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = list(conn.execute(text("SELECT id FROM entries")).scalars())
            conn.rollback()
    finally:
        engine.dispose()
    return len(ids), {str(i) for i in ids}


def run_load(tmp: Path, plan: LoadPlan, workers: int, log: Path) -> LoadResult:
    """Seed a server, serve it with `sync-server serve`, enroll the laptops and drive the load."""
    seeded = seed(tmp, plan)
    paths = staff_paths(seeded.url)
    with running_server(seeded.url, log, workers=workers) as base:
        laptops = [
            (enroll(base, seeded.codes[village], f"load {village}").token, bodies)
            for village, bodies in seeded.bodies.items()
        ]
        login = httpx.post(
            f"{base}{wire.API_PREFIX}/login",
            json={"user": STAFF_NAME, "password": seeded.staff_password},
            headers=base_headers(),
            timeout=30,
        )
        login.raise_for_status()
        result = asyncio.run(drive(base, laptops, login.json()["token"], paths, plan))
    result.pushed = seeded.ids
    result.stored, result.stored_ids = stored_entries(seeded.url)
    return result


def run(quick: bool) -> Report:
    """The load run, as a table: latencies, health, resends, failures, entries stored."""
    plan = QUICK if quick else FULL
    report = Report(
        "load",
        quick,
        params={
            "laptops": plan.laptops,
            "pushes per laptop": plan.rounds,
            "entries per push": plan.batch,
            "staff reads/s": plan.staff_per_s,
            "healthz every": f"{plan.health_every_s * 1000:g} ms",
            "workers": WORKERS,
        },
    )
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        log = Path(tmp) / "server.log"
        result = run_load(Path(tmp), plan, WORKERS, log)
        busy = log_lines(log, "database busy")
        if busy:
            report.note(f"server answered 503 database_busy {len(busy)}×; first: {busy[0][-300:]}")
    add_figures(report, result)
    return report


def add_figures(report: Report, result: LoadResult) -> None:
    """The metrics of one load run."""
    for kind in ("push", "pull", "staff", "healthz"):
        values = [1000 * s for s in result.seconds.get(kind, [])]
        p99 = percentile(values, 99)
        if kind == "healthz":
            ok = p99 < HEALTH_P99_MS
            report.add("healthz p99", p99, "ms", f"< {HEALTH_P99_MS:g} ms", "", ok)
            report.add("healthz max", max(values, default=float("nan")), "ms")
        else:
            report.add(f"{kind} p50", percentile(values, 50), "ms")
            report.add(f"{kind} p99", p99, "ms")
        report.add(f"{kind} requests", len(values), "")
    resent = sum(result.resent.values())
    report.add("resent after 429/503", resent, "", verdict=_resent_text(result.resent))
    failed = len(result.failures)
    report.add("failed requests", failed, "", "0", "", failed == 0)
    for text_ in result.failures[:5]:
        report.note(f"failure: {text_}")
    once = result.stored == len(result.pushed) and result.stored_ids == result.pushed
    report.add("entries stored", result.stored, "", f"= {len(result.pushed)} pushed", "", once)
    report.add("entries acknowledged", result.acknowledged, "")
    report.add("push throughput", result.acknowledged / result.elapsed_s, "entries/s")
    report.add("wall time", result.elapsed_s, "s")
    report.add("client loop lag max", 1000 * result.client_lag_s, "ms")


def _resent_text(resent: Counter[str]) -> str:
    return ", ".join(f"{key}: {count}" for key, count in sorted(resent.items()))
