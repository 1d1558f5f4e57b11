"""Pull: each device sees its own entries' news and its village's and commune's numbers, paged."""

from __future__ import annotations

from server_factories import entry_data, make_device, make_geography, mutations
from sqlalchemy.orm import Session

from sync_server.services.changes import NewChange, pull, record_changes
from sync_server.services.pushing import ingest_mutations
from sync_server.services.secrets import server_epoch


def test_pull_shows_only_what_the_device_may_see(session: Session) -> None:
    geo = make_geography(session)
    mine, theirs = geo.villages[geo.communes[0]][0], geo.villages[geo.communes[1]][0]
    me, other = make_device(session, mine), make_device(session, theirs)
    ingest_mutations(session, me, mutations([entry_data(mine, n) for n in range(3)]))
    ingest_mutations(session, other, mutations([entry_data(theirs, n + 10) for n in range(2)]))
    record_changes(
        session,
        [
            NewChange("quota", f"{mine}|vneid_level1|2026", mine, {"target": 40}),
            NewChange("quota", f"{theirs}|vneid_level1|2026", theirs, {"target": 9}),
            NewChange("quota", f"{geo.province}|vneid_level1|2026", geo.province, {"target": 1}),
        ],
    )
    session.commit()
    page = pull(session, me, 0, 1000)
    assert not page.has_more
    assert page.server_epoch == server_epoch(session)
    assert page.last_mutation_id == 3
    kinds = {(c.kind, c.key) for c in page.changes}
    assert ("service", "vneid_level1") in kinds
    assert ("tally", f"{mine}|vneid_level1|2026") in kinds
    assert ("tally", f"{geo.communes[0]}|vneid_level1|2026") in kinds
    assert ("quota", f"{mine}|vneid_level1|2026") in kinds
    keys = " ".join(c.key for c in page.changes)
    assert theirs not in keys and geo.communes[1] not in keys
    assert f"{geo.province}|" not in keys
    tally = next(c for c in page.changes if c.key == f"{mine}|vneid_level1|2026")
    assert tally.data["achieved"] == 3
    seqs = [c.seq for c in page.changes]
    assert seqs == sorted(seqs) and page.next_cursor == seqs[-1]


def test_pull_pages_through_everything_exactly_once(session: Session) -> None:
    geo = make_geography(session)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    for i in range(4):
        batch = [
            entry_data(village, i * 10 + n, service=s)
            for n in range(2)
            for s in ("vneid_level1", "dvc_account")
        ]
        ingest_mutations(session, device, mutations(batch, start=1 + i * 4))
    session.commit()
    everything = pull(session, device, 0, 1000).changes
    seen = []
    cursor = 0
    while True:
        page = pull(session, device, cursor, 3)
        seen.extend(page.changes)
        assert len(page.changes) <= 3
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert [c.seq for c in seen] == [c.seq for c in everything]
    assert len(everything) > 6
    empty = pull(session, device, cursor + 100, 10)
    assert empty.changes == [] and empty.next_cursor == cursor + 100 and not empty.has_more
    assert pull(session, device, -5, 0).changes == everything[:1]  # clamped, never an error
