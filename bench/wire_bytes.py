"""Wire: bytes per entry of the gzip push body the sync client sends for 500 entries."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from bench.common import Report
from bench.entries import EntryMaker
from bench.laptop import offline_store, province_villages
from fieldkit.domain import wire
from fieldkit.sync.transport import encode_json

BATCH = 500
TARGET_BYTES = 100.0


def push_body(mutations: list[wire.Mutation]) -> tuple[bytes, bytes, dict[str, str]]:
    """The raw JSON and the request body exactly as fieldkit.sync's push builds them."""
    raw = wire.PushRequest(mutations=mutations).model_dump_json().encode()
    body, headers = encode_json(raw)
    return raw, body, headers


def run(quick: bool) -> Report:
    """Save 500 realistic entries in a laptop store, take its push batch, measure the body."""
    report = Report("wire", quick, params={"entries": BATCH})
    villages = province_villages()
    maker = EntryMaker(seed=7, villages=[v.code for v in villages[:3]])
    entries = maker.entries(BATCH)
    with tempfile.TemporaryDirectory(prefix="bench-wire-") as tmp:
        store = offline_store(Path(tmp), villages[:3])
        try:
            store.save_entries(entries)
            batch = store.pending_batch(BATCH)
        finally:
            store.close()
    assert len(batch) == BATCH, f"store gave {len(batch)} mutations"
    raw, body, headers = push_body(batch)
    per_entry = len(body) / BATCH
    report.params["content_encoding"] = headers.get("Content-Encoding", "identity")
    report.add(
        "gzip push body per entry",
        per_entry,
        "B",
        f"≤ {TARGET_BYTES:.0f} B",
        f"{per_entry / TARGET_BYTES:.2f}× target",
        per_entry <= TARGET_BYTES,
    )
    report.add("gzip push body, 500 entries", len(body), "B")
    report.add("uncompressed JSON per entry", len(raw) / BATCH, "B")
    report.add("gzip ratio", len(raw) / len(body), "×")
    best = gzip.compress(raw, compresslevel=9, mtime=0)
    report.add("per entry at gzip -9 (for comparison)", len(best) / BATCH, "B")
    report.note(
        "body = fieldkit.store Store.pending_batch(500) → wire.PushRequest.model_dump_json() → "
        "fieldkit.sync.transport.encode_json (the path fieldkit.sync.engine push_batch uses)"
    )
    return report
