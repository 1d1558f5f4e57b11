"""Ingest: HTTP push into SQLite vs a bare executemany of the same rows, and vs PouchDB."""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text, update

from bench.common import ROOT, Report
from bench.entries import EntryMaker
from bench.pouchdb import PouchUnavailable, bulk_docs_rate, pouchdb_server
from bench.server import log_lines, prepare, prepare_in, serving, sqlite_url
from fieldkit.domain import Entry, wire
from fieldkit.sync import RetryPolicy, enroll
from fieldkit.sync.transport import Attempts, base_headers, encode_json, send
from sync_server.db.engine import make_engine
from sync_server.db.models import Device
from sync_server.services.init import migrate

BATCH = 500
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
"""Server processes: one per core, as README recommends for `sync-server serve --workers`."""
DEVICES = int(os.environ.get("BENCH_DEVICES", "4"))
FULL_ENTRIES = 200_000
QUICK_ENTRIES = 20_000
LIMIT_SHARE = 0.40
POUCH_FACTOR = 2.0
POUCH_DESIGN_RATE = 4000.0
PUSH_PATH = f"{wire.API_PREFIX}/sync/push"


def device_batches(maker: EntryMaker, village: str, count: int) -> list[list[dict[str, Any]]]:
    """One device's entries (validated and dumped as the store does), cut into batches."""
    data = [Entry.model_validate(d).model_dump(mode="json") for d in maker.data(count, village)]
    return [data[i : i + BATCH] for i in range(0, len(data), BATCH)]


def push_bodies(batches: list[list[dict[str, Any]]]) -> list[tuple[bytes, dict[str, str]]]:
    """The gzip request bodies the sync client would send, mutation ids 1, 2, …"""
    bodies: list[tuple[bytes, dict[str, str]]] = []
    next_id = 1
    for batch in batches:
        mutations = [
            wire.Mutation(mutation_id=next_id + i, entry=e, base_rev=None)
            for i, e in enumerate(batch)
        ]
        next_id += len(batch)
        raw = wire.PushRequest(mutations=mutations).model_dump_json().encode()
        bodies.append(encode_json(raw))
    return bodies


def push_stream(base: str, token: str, bodies: list[tuple[bytes, dict[str, str]]]) -> Counter[str]:
    """One device pushing its batches one after another, resending like the sync client."""
    statuses: Counter[str] = Counter()
    attempts = Attempts()
    with httpx.Client(base_url=base, headers=base_headers(token), timeout=120) as client:
        for body, headers in bodies:
            response = send(
                client,
                "POST",
                PUSH_PATH,
                policy=RetryPolicy(max_attempts=12),
                content=body,
                headers=headers,
                counts=attempts,
            )
            if response.status_code != 200:
                raise RuntimeError(f"push failed: {response.status_code} {response.text[:300]}")
            parsed = wire.PushResponse.model_validate_json(response.content)
            statuses.update(item.status.value for item in parsed.results)
    statuses["_retries"] += attempts.retries
    return statuses


def http_rate(
    base: str, streams: list[tuple[str, list[tuple[bytes, dict[str, str]]]]]
) -> tuple[float, Counter[str]]:
    """Push every device's stream concurrently; (entries/s, statuses)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(streams)) as pool:
        counts = list(pool.map(lambda s: push_stream(base, s[0], s[1]), streams))
    elapsed = time.perf_counter() - started
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    items = sum(v for k, v in total.items() if not k.startswith("_"))
    return items / elapsed, total


def stored_rows(url: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every entries row the server stored, as the database holds them."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(text("SELECT * FROM entries ORDER BY rowid"))
            columns = list(result.keys())
            rows = [tuple(r) for r in result]
    finally:
        engine.dispose()
    return columns, rows


def executemany_rate(path: Path, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
    """The limit: the same rows into a fresh migrated database, 500 per transaction."""
    url = sqlite_url(path)
    migrate(url)
    engine = make_engine(url)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO entries ({names}) VALUES ({marks})"
    try:
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with engine.begin() as conn:
                conn.exec_driver_sql(sql, rows[start : start + BATCH])
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    return len(rows) / elapsed


def enrolled_since(url: str, moment: datetime) -> None:
    """Date every device's enrollment back to `moment`."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(update(Device).values(created_at=moment))
    finally:
        engine.dispose()


@dataclass
class Pushed:
    """One timed push of the whole workload into a fresh server database."""

    rate: float
    """Entries per second over HTTP."""
    statuses: Counter[str]
    retries: int
    busy: list[str]
    """Server log lines about 503 database_busy answers."""
    url: str
    """The server database (for the executemany limit)."""
    batches: dict[str, list[list[dict[str, Any]]]]
    """Each village's entries as pushed, in batches (for the PouchDB peer)."""
    server_cpu_per_entry: float
    """CPU seconds of every server process per entry pushed (less sensitive to other load)."""


def push_workload(
    tmp: Path,
    quick: bool,
    root: Path = ROOT,
    batches: dict[str, list[list[dict[str, Any]]]] | None = None,
) -> Pushed:
    """Serve a fresh database with the code at `root`, enroll the devices, push every batch.

    The entries (`batches`, or made here from a fixed seed) and request bodies are the same
    for every `root` and made before the clock starts; the database is migrated and seeded by
    `root`'s own code.
    """
    total = QUICK_ENTRIES if quick else FULL_ENTRIES
    per_device = total // DEVICES
    path = tmp / "server.sqlite3"
    if root == ROOT:
        server_db = prepare(path, volunteers=DEVICES)
    else:
        server_db = prepare_in(root, path, volunteers=DEVICES)
    maker = EntryMaker(seed=5, villages=list(server_db.codes))
    per_village = batches or {v: device_batches(maker, v, per_device) for v in server_db.codes}
    if set(per_village) != set(server_db.codes):
        raise RuntimeError(f"{root} enrolls other villages: {sorted(server_db.codes)}")
    log = tmp / "server.log"
    with serving(server_db.url, log, workers=WORKERS, root=root) as served:
        streams = []
        for village, code in server_db.codes.items():
            enrolled = enroll(served.base, code, f"bench {village}")
            streams.append((enrolled.token, push_bodies(per_village[village])))
        # The laptops have worked since before their oldest entry (the server flags, for
        # review, entries dated before their laptop's enrollment).
        enrolled_since(server_db.url, maker.now - timedelta(days=60))
        cpu_before = served.cpu_seconds()
        rate, statuses = http_rate(served.base, streams)
        server_cpu = served.cpu_seconds() - cpu_before
    retries = statuses.pop("_retries", 0)
    busy = log_lines(log, "database busy")
    entries = sum(v for k, v in statuses.items() if not k.startswith("_"))
    cpu_per_entry = server_cpu / entries if entries else float("nan")
    return Pushed(rate, statuses, retries, busy, server_db.url, per_village, cpu_per_entry)


def run(quick: bool) -> Report:
    """Push over HTTP, then the limit and the peer, all in this run."""
    total = QUICK_ENTRIES if quick else FULL_ENTRIES
    report = Report(
        "ingest",
        quick,
        params={"entries": total, "devices": DEVICES, "batch": BATCH, "workers": WORKERS},
    )
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        pushed = push_workload(Path(tmp), quick)
        ours, statuses = pushed.rate, pushed.statuses
        per_village = pushed.batches
        report.params["statuses"] = dict(statuses)
        report.params["client_retries"] = pushed.retries
        if pushed.busy:
            first = pushed.busy[0][-300:]
            report.note(f"server answered 503 database_busy {len(pushed.busy)}×; first: {first}")
        columns, rows = stored_rows(pushed.url)
        limit = executemany_rate(Path(tmp) / "limit.sqlite3", columns, rows)
    share = ours / limit
    report.add(
        "HTTP push into SQLite",
        ours,
        "entries/s",
        f"≥ {LIMIT_SHARE:.0%} of limit",
        f"{share:.0%} of limit",
        share >= LIMIT_SHARE,
    )
    report.add(
        "HTTP push ÷ limit",
        100 * share,
        "%",
        f"≥ {LIMIT_SHARE:.0%}",
        f"{share:.0%} of limit",
        share >= LIMIT_SHARE,
    )
    report.add("limit: bare executemany, same rows", limit, "rows/s")
    pouch_streams = [
        [[dict(e, _id=e["id"]) for e in b] for b in per_village[v]] for v in per_village
    ]
    # The peer as a team would deploy it (pouchdb-server keeps databases in LevelDB on disk),
    # which the target is about; then in memory (nothing durable), a more generous peer.
    for adapter, label in (("leveldb", "LevelDB on disk"), ("memory", "in memory")):
        try:
            with pouchdb_server(adapter) as pouch_base:
                pouch, stored = bulk_docs_rate(pouch_streams, pouch_base)
            measured = True
        except (PouchUnavailable, OSError, httpx.HTTPError, TimeoutError) as exc:
            report.note(
                f"PouchDB ({label}) not measured ({exc}); docs/architecture.md's ~4,000 docs/s used"
            )
            pouch, stored, measured = POUCH_DESIGN_RATE, 0, False
        factor = ours / pouch
        report.add(
            f"vs PouchDB _bulk_docs, {label}",
            factor,
            "×",
            f"≥ {POUCH_FACTOR:.0f}×" if adapter == "leveldb" else "",
            f"ours {ours:,.0f} vs {pouch:,.0f} docs/s",
            factor >= POUCH_FACTOR if adapter == "leveldb" else None,
        )
        report.add(
            f"PouchDB _bulk_docs (express-pouchdb, {label})"
            if measured
            else "PouchDB (docs/architecture.md)",
            pouch,
            "docs/s",
        )
        if measured:
            report.params[f"pouchdb_{adapter}_docs_stored"] = stored
    if statuses.get("accepted", 0) != sum(statuses.values()):
        report.note(f"not every item was accepted: {dict(statuses)}")
    return report
