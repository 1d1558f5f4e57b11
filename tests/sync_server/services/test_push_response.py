"""The push route's hand-written response JSON is exactly what the response model writes."""

from __future__ import annotations

import json

from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import Device
from sync_server.services.admission import PAUSE_EVERY, admit, prepare
from sync_server.services.ingest import ingest_prepared
from sync_server.services.push_results import Ingested
from sync_server.services.server_key import configured_key


def _ingest(session: Session, device: Device, batch: list[wire.Mutation]) -> Ingested:
    prepared = prepare(batch, configured_key())
    ingested = ingest_prepared(session, device, admit(session, device, prepared))
    session.commit()
    return ingested


def _same(ingested: Ingested) -> wire.PushResponse:
    model = ingested.response()
    assert ingested.response_json() == model.model_dump_json().encode()
    return model


def test_every_kind_of_item_is_written_as_the_model_writes_it(session: Session) -> None:
    geo = make_geography(session)
    va, vb = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    a, b = make_device(session, va), make_device(session, vb)
    first = [entry_data(va, n, at=minutes(n)) for n in range(4)]
    first.append(entry_data(va, 9, outcome="failed"))
    first.append(entry_data(va, 1, at=minutes(30)))  # a duplicate inside the batch
    first.append(entry_data(va, 2) | {"village": "99-999"})  # rejected: unknown village
    first.append({"id": "not a uuid"})  # rejected: invalid entry
    first.append(entry_data(vb, 5))  # rejected: not this team's village
    first.append(entry_data(va, 6) | {"full_name": "  Nguyễn   Văn  An "})  # full parse path
    model = _same(_ingest(session, a, mutations(first)))
    statuses = [item.status for item in model.results]
    assert statuses.count(wire.ItemStatus.ACCEPTED) == 6
    assert statuses.count(wire.ItemStatus.DUPLICATE) == 1
    assert statuses.count(wire.ItemStatus.REJECTED) == 3
    # Across devices: a later success elsewhere, one claiming an earlier time (received later,
    # so a disputed duplicate too), a resend of old mutations.
    second = [entry_data(vb, 0, at=minutes(60)), entry_data(vb, 3, at=minutes(-60))]
    model = _same(_ingest(session, b, mutations(second)))
    assert [item.status for item in model.results] == [
        wire.ItemStatus.DUPLICATE,
        wire.ItemStatus.DUPLICATE,
    ]
    resend = mutations(first[:3]) + mutations([entry_data(va, 7)], start=len(first) + 1)
    model = _same(_ingest(session, a, resend))
    assert model.last_mutation_id == len(first) + 1
    # An edit at a stale revision is kept as a conflict and answered as such.
    stale = mutations([first[0] | {"rev": 2, "full_name": "Lê Văn Cường"}], len(first) + 2, 0)
    model = _same(_ingest(session, a, stale))
    assert model.results[0].code == "conflict"


def test_an_empty_batch(session: Session) -> None:
    geo = make_geography(session)
    device = make_device(session, geo.all_villages()[0])
    model = _same(_ingest(session, device, []))
    assert json.loads(model.model_dump_json())["results"] == []


def test_prepare_pauses_between_chunks_and_makes_the_same_rows(session: Session) -> None:
    geo = make_geography(session)
    village = geo.villages[geo.communes[0]][0]
    batch = mutations(entry_data(village, n, at=minutes(n)) for n in range(PAUSE_EVERY * 2 + 1))
    batch.append(wire.Mutation(mutation_id=len(batch) + 1, entry={"id": "x"}, base_rev=None))
    secret = configured_key()
    pauses: list[int] = []
    paused = prepare(batch, secret, lambda: pauses.append(1))
    plain = prepare(batch, secret)
    assert len(pauses) == 3  # before each chunk of PAUSE_EVERY entries
    assert [m for m, _ in paused.items] == batch
    assert [row for _, row in paused.items] == [row for _, row in plain.items]
    assert all(row is not None for _, row in paused.items[:-1])
    assert paused.items[-1][1] is None  # the malformed one waits for the full validation
