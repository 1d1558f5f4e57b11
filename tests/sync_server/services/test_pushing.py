"""The push pipeline (services/pushing.py): pushes and bundles share check → admit → ingest."""

from __future__ import annotations

import pytest
from server_factories import entry_data, make_device, make_geography, mutations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from fieldkit.domain.bundle import write_bundle
from fieldkit.store.signing import SigningKey, new_signing_key, public_key_of
from sync_server.db.models import Device, Entry
from sync_server.services.pushing import MutationGap, PushPipeline

SECRET = "a-test-server-key"


def _parse(raw: bytes) -> wire.PushRequest:
    return wire.PushRequest.model_validate_json(raw)


def _world(session: Session, db_url: str) -> tuple[PushPipeline, Device, str, SigningKey]:
    village = make_geography(session).all_villages()[0]
    device = make_device(session, village)
    key = new_signing_key()
    device.public_key = public_key_of(key)
    session.commit()
    return PushPipeline(db_url, SECRET), device, village, SigningKey(key, True)


def _stored(session: Session) -> int:
    with session.begin():
        return session.scalar(select(func.count()).select_from(Entry)) or 0


def test_a_bundle_of_mutations_already_pushed_adds_nothing(session: Session, db_url: str) -> None:
    pipeline, device, village, key = _world(session, db_url)
    batch = mutations([entry_data(village, n) for n in range(3)])
    bundle = write_bundle(device.id, batch, key.signer())
    raw = wire.PushRequest(mutations=batch).model_dump_json().encode()
    pushed = wire.PushResponse.model_validate_json(pipeline.push(session, device, raw, _parse))
    assert [r.status for r in pushed.results] == [wire.ItemStatus.ACCEPTED] * 3
    imported = pipeline.import_bundle(session, bundle)
    assert imported.last_mutation_id == 3
    assert [r.entry_id for r in imported.results] == [r.entry_id for r in pushed.results]
    assert _stored(session) == 3


def test_a_nul_character_rejects_its_item_alone(session: Session, db_url: str) -> None:
    pipeline, device, village, _ = _world(session, db_url)
    batch = mutations([entry_data(village, 1, full_name="Trần\x00Bình"), entry_data(village, 2)])
    raw = wire.PushRequest(mutations=batch).model_dump_json().encode()
    assert b"\\u0000" in raw
    answer = wire.PushResponse.model_validate_json(pipeline.push(session, device, raw, _parse))
    assert [r.status for r in answer.results] == [
        wire.ItemStatus.REJECTED,
        wire.ItemStatus.ACCEPTED,
    ]
    assert answer.last_mutation_id == 2 and _stored(session) == 1


def test_a_gap_changes_nothing_and_runs_no_after_hook(session: Session, db_url: str) -> None:
    pipeline, device, village, key = _world(session, db_url)
    late = mutations([entry_data(village, 1)], start=3)
    ran: list[wire.PushResponse] = []
    with pytest.raises(MutationGap) as gap:
        pipeline.import_bundle(
            session, write_bundle(device.id, late, key.signer()), then=lambda s, r: ran.append(r)
        )
    assert gap.value.expected == 1
    assert ran == [] and _stored(session) == 0


def test_the_after_hook_shares_the_ingest_transaction(session: Session, db_url: str) -> None:
    pipeline, device, village, key = _world(session, db_url)
    data = write_bundle(device.id, mutations([entry_data(village, 1)]), key.signer())

    def fail(_session: Session, response: wire.PushResponse) -> None:
        assert response.last_mutation_id == 1
        raise RuntimeError("the audit row could not be written")

    with pytest.raises(RuntimeError):
        pipeline.import_bundle(session, data, then=fail)
    assert _stored(session) == 0
    with session.begin():
        stored = session.get(Device, device.id, populate_existing=True)
        assert stored is not None and stored.last_mutation_id == 0
    assert pipeline.import_bundle(session, data).last_mutation_id == 1
    assert _stored(session) == 1
