"""Write a seeded province into the server database: units, teams, volunteers, devices, quotas,
and demo entries through the one ingest path. Idempotent: a second run duplicates nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldkit.domain import VIETNAM_TZ, period_of, wire
from seed.campaign_plan import plan_campaign_quotas
from seed.demo_entries import DemoEntry, generate_entries
from seed.geography import ProvinceSpec, load_province
from seed.quota_plan import plan_quotas
from seed.volunteers import plan_volunteers, team_name
from sync_server.db.models import Device, Entry, Team, User
from sync_server.services.quotas import set_quotas
from sync_server.services.units import UnitData, upsert_units

DEVICE_PREFIX = "seed-"
COMMIT_EVERY = 5000


@dataclass
class SeedReport:
    """What a seed run stored, and how long it took."""

    province_code: str
    province_name: str
    communes: int = 0
    villages: int = 0
    teams: int = 0
    volunteers: int = 0
    quotas: int = 0
    entries: dict[str, int] = field(default_factory=dict)
    """Per-item statuses of the demo entries sent through ingest (a resend is "accepted" too)."""
    new_entries: int = 0
    """Entries the database did not hold before this run (0 when the same seed ran before)."""
    seconds: float = 0.0


def _teams(session: Session, spec: ProvinceSpec) -> dict[str, Team]:
    """Village code -> its team, creating the missing ones."""
    codes = [v.code for v in spec.villages]
    teams: dict[str, Team] = {}
    for start in range(0, len(codes), 500):
        query = select(Team).where(Team.village_code.in_(codes[start : start + 500]))
        for team in session.scalars(query.order_by(Team.id)):
            teams.setdefault(team.village_code, team)
    for village in spec.villages:
        if village.code not in teams:
            team = Team(village_code=village.code, name=team_name(village.name))
            session.add(team)
            teams[village.code] = team
    session.flush()
    return teams


def _volunteers(
    session: Session, spec: ProvinceSpec, seed: int, teams: dict[str, Team]
) -> dict[str, list[User]]:
    """Village code -> its team's volunteers (oldest first), adding the planned ones if none."""
    plan = plan_volunteers(spec, seed)
    team_ids = [t.id for t in teams.values()]
    by_team: dict[int, list[User]] = defaultdict(list)
    for start in range(0, len(team_ids), 500):
        query = select(User).where(
            User.team_id.in_(team_ids[start : start + 500]), User.role == "volunteer"
        )
        for user in session.scalars(query.order_by(User.id)):
            assert user.team_id is not None
            by_team[user.team_id].append(user)
    result: dict[str, list[User]] = {}
    for village in spec.villages:
        team = teams[village.code]
        members = by_team[team.id]
        if not members:
            for volunteer in plan[village.code]:
                user = User(
                    name=volunteer.name,
                    role="volunteer",
                    unit_code=village.code,
                    team_id=team.id,
                    password_hash=None,
                    youth_union=volunteer.youth_union,
                )
                session.add(user)
                members.append(user)
        result[village.code] = members
    session.flush()
    return result


def device_id_for(user: User) -> str:
    """The demo device of a seeded volunteer (stable, so re-seeding finds it)."""
    return f"{DEVICE_PREFIX}{user.id}"


def _devices(
    session: Session, volunteers: dict[str, list[User]], enrolled_at: datetime
) -> dict[int, Device]:
    """User id -> the volunteer's demo device, created when missing (its token is unknowable).

    Demo devices count as enrolled when the campaign year began: demo entries fill the year,
    and entries dated before their laptop's enrollment are flagged for review.
    """
    users = [u for members in volunteers.values() for u in members]
    ids = [device_id_for(u) for u in users]
    devices: dict[str, Device] = {}
    for start in range(0, len(ids), 500):
        query = select(Device).where(Device.id.in_(ids[start : start + 500]))
        devices.update((d.id, d) for d in session.scalars(query))
    result: dict[int, Device] = {}
    for user in users:
        device = devices.get(device_id_for(user))
        if device is None:
            token = hashlib.sha256(f"{device_id_for(user)}:{time.time_ns()}".encode()).hexdigest()
            device = Device(
                id=device_id_for(user),
                user_id=user.id,
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                name="Máy demo",
                created_at=enrolled_at,
                last_mutation_id=0,
            )
            session.add(device)
        result[user.id] = device
    session.flush()
    return result


@dataclass(frozen=True)
class SeededTeams:
    """Village code -> its volunteers' ids, and user id -> their demo device id."""

    volunteers: dict[str, list[int]]
    devices: dict[int, str]


def seed_structure(
    session: Session, province_code: str, seed: int, now: datetime | None = None
) -> tuple[ProvinceSpec, SeedReport, SeededTeams]:
    """Units, teams, volunteers, devices and quotas of a province (no commit)."""
    spec = load_province(province_code)
    report = SeedReport(spec.unit.code, spec.unit.name)
    upsert_units(
        session,
        [
            UnitData(u.code, u.name, u.level.value, u.parent_code, u.province_code, u.commune_code)
            for u in spec.all_units()
        ],
    )
    teams = _teams(session, spec)
    volunteers = _volunteers(session, spec, seed, teams)
    period = period_of(now or datetime.now(UTC))
    devices = _devices(session, volunteers, datetime(int(period), 1, 1, tzinfo=VIETNAM_TZ))
    plan = plan_quotas(spec, seed, period)
    set_quotas(session, [(q.unit_code, q.service, q.period, q.target) for q in plan])
    report.communes = len(spec.communes)
    report.villages = len(spec.villages)
    report.teams = len(teams)
    report.volunteers = sum(len(m) for m in volunteers.values())
    report.quotas = len(plan)
    seeded = SeededTeams(
        volunteers={code: [u.id for u in members] for code, members in volunteers.items()},
        devices={user_id: device.id for user_id, device in devices.items()},
    )
    return spec, report, seeded


def seed_entries(
    session: Session,
    entries: list[DemoEntry],
    teams: SeededTeams,
    spread: bool = False,
    secret: str | None = None,
) -> dict[str, int]:
    """Push demo entries device by device through ingest; commits every few thousand.

    Teams often share one laptop (docs/domain.md): by default a village's entries arrive through
    its first volunteer's device, one batch per village; `spread` uses every member's device
    (many more, smaller batches: slower).

    The identity map is emptied after each device: ingest expires every loaded row when it
    takes the writers' lock, so a big map would make each batch slower. `secret` is the
    server key (None: this process's configured key).
    """
    from sync_server.services.pushing import ingest_mutations

    per_device: dict[str, list[DemoEntry]] = defaultdict(list)
    for item in entries:
        members = teams.volunteers[item.village_code]
        slot = item.volunteer_slot % len(members) if spread else 0
        per_device[teams.devices[members[slot]]].append(item)
    statuses: dict[str, int] = defaultdict(int)
    since_commit = 0
    session.expunge_all()
    for device_id, items in per_device.items():
        device = session.get(Device, device_id)
        assert device is not None
        for start in range(0, len(items), wire.MAX_PUSH_BATCH):
            batch = items[start : start + wire.MAX_PUSH_BATCH]
            first = device.last_mutation_id + 1
            mutations = [
                wire.Mutation(mutation_id=first + i, entry=item.data)
                for i, item in enumerate(batch)
            ]
            # Demo entries stand for a year of laptops that synced the same day: none is late.
            response = ingest_mutations(session, device, mutations, secret, late_after=None)
            for result in response.results:
                statuses[result.status.value] += 1
            since_commit += len(batch)
        session.flush()
        session.expunge_all()
        if since_commit >= COMMIT_EVERY:
            session.commit()
            since_commit = 0
    session.commit()
    return dict(statuses)


def _entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Entry)) or 0


def seed_province(
    session: Session,
    province_code: str,
    seed: int = 1,
    demo_entries: int = 0,
    now: datetime | None = None,
    secret: str | None = None,
) -> SeedReport:
    """Seed everything for a province and commit (this is a job, not a service).

    With demo entries, quotas are sized from them so the province's campaign report reads
    like the article's (seed.campaign_plan).
    """
    started = time.perf_counter()
    spec, report, teams = seed_structure(session, province_code, seed, now)
    session.commit()
    if demo_entries > 0:
        entries = generate_entries(spec, seed, demo_entries, now)
        period = period_of(now or datetime.now(UTC))
        plan = plan_campaign_quotas(spec, seed, period, entries)
        set_quotas(session, [(q.unit_code, q.service, q.period, q.target, q.group) for q in plan])
        session.commit()
        before = _entry_count(session)
        report.entries = seed_entries(session, entries, teams, secret=secret)
        report.new_entries = _entry_count(session) - before
    report.seconds = time.perf_counter() - started
    return report
