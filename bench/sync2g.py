"""Sync over an emulated 2G link: 500 entries from a laptop store to a real server."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import Report
from bench.entries import EntryMaker
from bench.server import prepare, running_server
from bench.throttle import throttled
from fieldkit.store import create_profile
from fieldkit.sync import enroll, sync_once

ENTRIES = 500
BITS_PER_S = 50_000
ONE_WAY_DELAY_S = 0.2
TARGET_S = 15.0


def run(quick: bool) -> Report:
    """Enrol, sync once to catch up, save 500 entries, time sync_once through the proxy."""
    report = Report(
        "sync2g",
        quick,
        params={
            "entries": ENTRIES,
            "link": f"{BITS_PER_S // 1000} kbit/s each way, {ONE_WAY_DELAY_S * 2000:.0f} ms RTT",
        },
    )
    with tempfile.TemporaryDirectory(prefix="bench-sync2g-") as tmp:
        server_db = prepare(Path(tmp) / "server.sqlite3", volunteers=2)
        (village, code), (village2, code2) = list(server_db.codes.items())[:2]
        with (
            running_server(server_db.url, Path(tmp) / "server.log") as base,
            throttled(int(base.rsplit(":", 1)[1]), BITS_PER_S, ONE_WAY_DELAY_S) as proxy,
        ):
            proxy_url = f"http://127.0.0.1:{proxy.port}"
            enrolled = enroll(base, code, "bench laptop")
            store = create_profile(Path(tmp) / "home", enrolled, proxy_url, name="bench")
            try:
                t0 = time.perf_counter()
                first = sync_once(store)
                report.add(
                    "first sync, nothing to push (catch-up pull)", time.perf_counter() - t0, "s"
                )
                report.params["first_sync_pulled"] = first.pulled
                up0, down0 = proxy.up.carried, proxy.down.carried
                maker = EntryMaker(seed=2, villages=[village])
                store.save_entries(maker.entries(ENTRIES))
                t0 = time.perf_counter()
                result = sync_once(store)
                elapsed = time.perf_counter() - t0
                pending = store.pending_count()
            finally:
                store.close()
            up, down = proxy.up.carried - up0, proxy.down.carried - down0
            # The same sync on loopback with no throttle: what client + server compute costs.
            enrolled2 = enroll(base, code2, "bench laptop 2")
            store2 = create_profile(Path(tmp) / "home2", enrolled2, base, name="bench2")
            try:
                sync_once(store2)
                store2.save_entries(EntryMaker(seed=3, villages=[village2]).entries(ENTRIES))
                t0 = time.perf_counter()
                sync_once(store2)
                loopback = time.perf_counter() - t0
            finally:
                store2.close()
    report.add(
        f"sync_once, {ENTRIES} entries over 2G",
        elapsed,
        "s",
        f"≤ {TARGET_S:.0f} s",
        f"{elapsed / TARGET_S:.2f}× target",
        elapsed <= TARGET_S and pending == 0,
    )
    report.add("same sync on loopback, no throttle (compute)", loopback, "s")
    report.add("bytes up (request bodies + headers)", up, "B")
    report.add("bytes down", down, "B")
    report.add("link floor: (up + down) / rate + 1 RTT", (up + down) * 8 / BITS_PER_S + 0.4, "s")
    report.params |= {
        "pushed": result.pushed,
        "accepted": result.accepted,
        "batches": result.batches,
        "pulled": result.pulled,
        "retries": result.retries,
        "left_pending": pending,
        "connections": proxy.connections,
    }
    return report
