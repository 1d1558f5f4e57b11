"""A laptop store for benchmarks: a profile made from a stand-in enrollment, no server needed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bench.entries import EntryMaker
from fieldkit.domain import Entry, mask_id_number, wire
from fieldkit.store import Store, create_profile
from fieldkit.store.entries import entry_row
from fieldkit.store.models import EntryRecord, SyncStateRow
from fieldkit.store.records import EntryStatus
from seed.geography import load_province

PROVINCE = "52"


def province_villages(province: str = PROVINCE) -> list[wire.VillageInfo]:
    """Every village of a province (real communes, generated villages) as enrollments list them."""
    spec = load_province(province)
    names = {c.unit.code: c.unit.name for c in spec.communes}
    return [
        wire.VillageInfo(
            code=v.code,
            name=v.name,
            commune_code=v.commune_code or "",
            commune_name=names.get(v.commune_code or "", ""),
        )
        for v in spec.villages
    ]


def offline_store(home: Path, villages: list[wire.VillageInfo]) -> Store:
    """A store enrolled to a server that is not there (for timings that need no sync)."""
    enroll = wire.EnrollResponse(
        device_id=str(uuid.uuid4()),
        token="bench-token-" + uuid.uuid4().hex,
        user_id=1,
        user_name="Nguyễn Thị Bench",
        team_id=1,
        villages=villages,
        server_epoch="bench",
    )
    return create_profile(home, enroll, "http://127.0.0.1:9", name="bench")


def bulk_fill(store: Store, maker: EntryMaker, count: int, chunk: int = 20_000) -> None:
    """Insert `count` acknowledged (synced, masked) entries straight into the store's tables.

    Rows come from the store's own fieldkit.store.entries.entry_row, marked acknowledged, in
    big transactions: a laptop after a season of synced visits.
    """
    key = store.local_key
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        done = 0
        while done < count:
            rows: list[dict[str, Any]] = []
            for data in maker.data(min(chunk, count - done)):
                entry = Entry.model_validate(data)
                row = entry_row(entry, key, now)
                # Filled as if every entry had been acknowledged: masked number, server rev.
                row.update(
                    id_number=mask_id_number(entry.id_number),
                    status=EntryStatus.ACKED.value,
                    server_rev=1,
                )
                rows.append(row)
            conn.execute(insert(EntryRecord), rows)
            done += len(rows)
        conn.execute(
            update(SyncStateRow)
            .where(SyncStateRow.id == 1)
            .values(next_mutation_id=count + 1, last_mutation_id=count)
        )
