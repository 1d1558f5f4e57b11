"""Kept people counts (citizens helped, accounts with a real transaction) always equal a recount.

A fixed-seed random mix of pushes, duplicates across villages and communes, resends, review
decisions, edits onto another citizen or another year, and a village retired into another:
after every step the kept counts equal the recount's and a test-side count over the raw
entries, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from server_factories import entry_data, make_device, make_geography, minutes, mutations
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.models import CitizenTally, Device, Entry, Unit, User
from sync_server.services import citizens
from sync_server.services.campaign import campaign_report
from sync_server.services.pushing import ingest_mutations
from sync_server.services.recount import recount
from sync_server.services.review import apply_review
from sync_server.services.units import retire_unit

SERVICES = ("dvc_account", "dvc_transaction", "dvc_account", "dvc_transaction", "vneid_level1")
LAST_YEAR = datetime(2025, 12, 30, 3, 0, tzinfo=UTC)


def _by_hand(session: Session) -> dict[tuple[str, str], tuple[int, int]]:
    """Both figures straight from the raw entries, written out in the test's own words."""
    entries = list(session.scalars(select(Entry)))
    helped: dict[tuple[str, str], set[str]] = {}
    accounts: dict[tuple[str, str], Entry] = {}
    transactions: set[tuple[str, str]] = set()
    for e in entries:
        if e.review_status != "rejected":
            for unit in (e.village_code, e.commune_code, e.province_code):
                helped.setdefault((unit, e.period), set()).add(e.citizen_key)
        if e.counted and e.outcome == "success":
            if e.service == "dvc_account":
                accounts[(e.citizen_key, e.period)] = e
            elif e.service == "dvc_transaction":
                transactions.add((e.citizen_key, e.period))
    counts = {key: [len(people), 0] for key, people in helped.items()}
    for key, account in accounts.items():
        if key in transactions:
            for unit in (account.village_code, account.commune_code, account.province_code):
                counts.setdefault((unit, account.period), [0, 0])[1] += 1
    return {key: (h, t) for key, (h, t) in counts.items() if h or t}


def _check(session: Session) -> None:
    kept = citizens.stored(session)
    assert kept == _by_hand(session)
    assert kept == citizens.recounted(session)
    assert recount(session) == []


def _push(session: Session, device: Device, village: str, rng: random.Random) -> list[Any]:
    payloads = []
    for _ in range(rng.randint(1, 5)):
        at = LAST_YEAR if rng.random() < 0.1 else minutes(rng.randint(0, 600))
        payloads.append(
            entry_data(
                village,
                rng.randint(0, 7),  # few citizens: duplicates across villages are common
                service=rng.choice(SERVICES),
                outcome=rng.choice(["success", "success", "failed"]),
                at=at,
                birth_year=rng.choice([1970, 2003]),
            )
        )
    batch = mutations(payloads, start=device.last_mutation_id + 1)
    ingest_mutations(session, device, batch)
    return batch


def _edit(
    session: Session, entry: Entry, device: Device, rng: random.Random, with_new: bool
) -> None:
    """An edit of a stored entry, alone or after new entries in the same push (one of them
    often for the citizen the edit moves the entry onto)."""
    at = LAST_YEAR if rng.random() < 0.2 else minutes(rng.randint(0, 600))
    citizen = rng.randint(0, 9)  # often another citizen; 8 and 9 are new ones
    payload = entry_data(
        entry.village_code,
        citizen,
        service=entry.service,
        outcome=rng.choice(["success", "failed"]),
        at=at,
        entry_id=entry.id,  # type: ignore[arg-type]
        rev=entry.rev + 1,
    )
    new = []
    if with_new:
        new = [entry_data(entry.village_code, citizen, service=rng.choice(SERVICES), at=at)]
        new.append(entry_data(entry.village_code, 10 + rng.randint(0, 1000), at=at))
    batch = mutations(new, start=device.last_mutation_id + 1)
    batch.append(
        wire.Mutation(
            mutation_id=device.last_mutation_id + 1 + len(new), entry=payload, base_rev=entry.rev
        )
    )
    ingest_mutations(session, device, batch)


def test_kept_people_counts_equal_a_recount_after_a_random_mix(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=2)
    villages = geo.all_villages()
    devices = [make_device(session, v) for v in (villages[0], villages[1], villages[2])]
    for device in devices:
        device.created_at = LAST_YEAR - timedelta(days=30)
    homes = [villages[0], villages[1], villages[2]]
    admin = User(name="Quản Trị", role="admin")
    session.add(admin)
    session.commit()
    rng = random.Random(20261206)
    sent: dict[int, list[Any]] = {}
    for step in range(120):
        roll = rng.random()
        ids = list(session.scalars(select(Entry.id).order_by(Entry.id)))
        if roll < 0.45 or not ids:
            index = rng.randrange(len(devices))
            sent[index] = _push(session, devices[index], homes[index], rng)
        elif roll < 0.55 and sent:
            index = rng.choice(sorted(sent))
            ingest_mutations(session, devices[index], sent[index])  # a resend: no change
        elif roll < 0.8:
            decision = rng.choice(["approved", "rejected", "rejected", "has_issues"])
            apply_review(session, rng.choice(ids), decision, "kiểm tra", admin)
        else:
            entry = session.get(Entry, rng.choice(ids))
            assert entry is not None
            device = next(d for d in devices if d.id == entry.device_id)
            _edit(session, entry, device, rng, with_new=rng.random() < 0.5)
        session.commit()
        _check(session)
        if step == 80:
            # The 2025 mergers: a village's history moves to the one replacing it.
            retire_unit(session, villages[1], villages[3])
            homes[1] = villages[3]
            session.commit()
            _check(session)
    kept = citizens.stored(session)
    assert sum(t for (code, _), (_, t) in kept.items() if code == geo.province) > 0
    assert any(h for (code, _), (h, _) in kept.items() if code == villages[3])


def test_a_transaction_in_another_commune_moves_the_accounts_unit(session: Session) -> None:
    geo = make_geography(session, communes=2, villages_per_commune=1)
    here, there = geo.all_villages()
    device_here, device_there = make_device(session, here), make_device(session, there)
    admin = User(name="Quản Trị", role="admin")
    session.add(admin)
    session.commit()
    account = entry_data(here, 1, service="dvc_account")
    ingest_mutations(session, device_here, mutations([account]))
    session.commit()
    codes = [here, geo.communes[0], geo.province, there, geo.communes[1]]
    units = [u for u in session.scalars(select(Unit)) if u.code in codes]

    def transacting() -> dict[str, int]:
        found = citizens.transacting_accounts(session, units, "2026")
        return {code: found[code] for code in codes}

    assert transacting() == dict.fromkeys(codes, 0)
    transaction = entry_data(there, 1, service="dvc_transaction", at=minutes(5))
    ingest_mutations(session, device_there, mutations([transaction]))
    session.commit()
    # The account's village, commune and province gain it; the transaction's commune does not.
    assert transacting() == {here: 1, geo.communes[0]: 1, geo.province: 1, there: 0,
                             geo.communes[1]: 0}  # fmt: skip
    helped = citizens.citizens_helped(session, units, "2026")
    assert [helped[c] for c in codes] == [1, 1, 1, 1, 1]  # one person, in both communes
    report = campaign_report(session, geo.province, "2026")
    assert report.total.transacting_accounts == 1 and report.total.citizens_helped == 1
    tx_id = session.scalars(select(Entry.id).where(Entry.service == "dvc_transaction")).one()
    apply_review(session, tx_id, "rejected", "sai người", admin)
    session.commit()
    assert transacting() == dict.fromkeys(codes, 0)
    helped = citizens.citizens_helped(session, units, "2026")
    assert [helped[c] for c in codes] == [1, 1, 1, 0, 0]
    apply_review(session, tx_id, "approved", "", admin)
    session.commit()
    assert transacting()[here] == 1
    _check(session)


def test_recount_reports_and_repairs_drift_in_the_kept_people_counts(session: Session) -> None:
    geo = make_geography(session, communes=1, villages_per_commune=1)
    village = geo.all_villages()[0]
    device = make_device(session, village)
    payloads = [
        entry_data(village, 1, service="dvc_account"),
        entry_data(village, 1, service="dvc_transaction"),
        entry_data(village, 2, service="vneid_level1", outcome="failed"),
    ]
    ingest_mutations(session, device, mutations(payloads))
    session.commit()
    assert citizens.stored(session)[(village, "2026")] == (2, 1)
    session.execute(
        update(CitizenTally)
        .where(CitizenTally.unit_code == geo.province)
        .values(helped=CitizenTally.helped + 5)
    )
    session.execute(
        update(CitizenTally).where(CitizenTally.unit_code == village).values(transacting=0)
    )
    session.add(CitizenTally(unit_code="99999", period="2026", helped=1, transacting=0))
    session.commit()
    found = {(m.kind, m.key): m for m in recount(session)}
    assert set(found) == {
        ("citizens", f"{geo.province}|2026"),
        ("citizens", f"{village}|2026"),
        ("citizens", "99999|2026"),
    }
    assert found[("citizens", f"{village}|2026")].describe() == (
        f"citizens {village}|2026: expected {{'helped': 2, 'transacting': 1}}, "
        "stored {'helped': 2, 'transacting': 0}"
    )
    recount(session, fix=True)
    session.commit()
    assert recount(session) == []
    assert citizens.stored(session)[(geo.province, "2026")] == (2, 1)
