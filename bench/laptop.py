"""A laptop store for benchmarks: a profile made from a stand-in enrollment, no server needed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bench.entries import EntryMaker
from fieldkit.domain import Entry, fold, mask_id_number, wire
from fieldkit.store import Store, create_profile
from fieldkit.store.keys import id_key
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

    Mirrors fieldkit.store.entries._fill for the columns and the outbox acknowledgement for
    the state, without the ORM's per-row work: a laptop after a season of synced visits.
    """
    key = store.local_key
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        done = 0
        while done < count:
            rows: list[dict[str, Any]] = []
            for data in maker.data(min(chunk, count - done)):
                entry = Entry.model_validate(data)
                rows.append(
                    {
                        "id": str(entry.id),
                        "visit_id": str(entry.visit_id) if entry.visit_id else None,
                        "village": entry.village,
                        "service": entry.service,
                        "outcome": entry.outcome.value,
                        "reasons": [r.value for r in entry.reasons],
                        "assisted_at": entry.assisted_at,
                        "full_name": entry.full_name,
                        "search": fold(entry.full_name),
                        "id_number": mask_id_number(entry.id_number),
                        "id_key": id_key(key, entry.id_number),
                        "birth_year": entry.birth_year,
                        "sex": entry.sex.value,
                        "phone": entry.phone,
                        "consent": entry.consent,
                        "consent_method": entry.consent_method.value,
                        "device_owner": entry.device_owner.value,
                        "note": entry.note,
                        "rev": entry.rev,
                        "status": EntryStatus.ACKED.value,
                        "server_rev": 1,
                        "erased": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            conn.execute(insert(EntryRecord), rows)
            done += len(rows)
        conn.execute(
            update(SyncStateRow)
            .where(SyncStateRow.id == 1)
            .values(next_mutation_id=count + 1, last_mutation_id=count)
        )
