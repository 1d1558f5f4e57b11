"""The benchmarks' server databases, built once and cached: what `tally`, `staff_pages`,
`campaign` and `province` read.

- `sqlite_province(n)`: province 52's units and quotas and `n` entries in a SQLite file under
  bench/results/ (`tally-<n>.sqlite3`);
- `postgres_country(n)`: all 34 provinces' units and quotas and `n` entries in a PostgreSQL
  database of its own (`bench_country_<n>`, next to the one `BENCH_PG_URL` names), half of them
  in province 52 and the rest spread over every other village of the country.

Entries are realistic (`bench.entries`) and written straight into `entries` with the bulk
writers (`sync_server.db.bulk.insert_rows`: executemany on SQLite, COPY on PostgreSQL), then
`recount(fix=True)` builds every kept figure from them, as it would after a restore. A cached
database is migrated on open, so it follows new migrations.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from bench.common import RESULTS_DIR
from bench.entries import EntryMaker
from bench.server import PROVINCE, sqlite_url, unit_rows
from fieldkit.domain import VIETNAM_TZ, age_group, mask_id_number, period_of
from seed.geography import ProvinceSpec, load_province, province_codes
from seed.quota_plan import plan_quotas
from sync_server.db.bulk import insert_rows
from sync_server.db.engine import make_engine
from sync_server.db.models import Base, Tally, User
from sync_server.db.models import Entry as EntryRow
from sync_server.services import web_sessions
from sync_server.services.init import migrate
from sync_server.services.quotas import set_quotas
from sync_server.services.secrets import citizen_key
from sync_server.services.units import upsert_units

FULL_ENTRIES = 1_000_000
QUICK_ENTRIES = 100_000
COUNTRY_ENTRIES = 2_000_000
CHUNK = 20_000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
"""Where PostgreSQL is unless `BENCH_PG_URL` says (its database only creates the bench's own)."""
FOCUS_SHARE = 0.5
"""The share of a country database's entries that are province 52's."""
ENTRIES = Base.metadata.tables["entries"]

VillagePlace = tuple[str, str, str]
"""(village, commune, province) codes."""


@dataclass
class Dataset:
    """An open benchmark database: its URL and engine, the period, and how it was made."""

    url: str
    engine: Engine
    period: str
    entries: int
    provinces: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @property
    def label(self) -> str:
        """'SQLite, province 52, 1,000,000 entries' and the like, for tables."""
        engine = "SQLite" if self.dialect == "sqlite" else "PostgreSQL"
        where = "province 52" if self.provinces == 1 else f"{self.provinces} provinces"
        return f"{engine}, {where}, {self.entries:,} entries"

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


def recount(session: Session, fix: bool) -> list[Any]:
    """The full recount (imported late so the rest of this module loads without it)."""
    from sync_server.services.recount import recount as full_recount

    return list(full_recount(session, fix=fix))


def server_row(
    data: dict[str, Any], place: VillagePlace, device_id: str, secret: str, now: datetime
) -> dict[str, Any]:
    """The entries row the ingest service stores for a made-up (valid) entry: same columns."""
    assisted = datetime.fromisoformat(data["assisted_at"]).astimezone(UTC)
    village, commune, province = place
    return {
        "id": data["id"],
        "device_id": device_id,
        "user_id": 1,
        "village_code": village,
        "commune_code": commune,
        "province_code": province,
        "service": data["service"],
        "outcome": data["outcome"],
        "reasons": ",".join(data["reasons"]),
        "assisted_at": assisted,
        "period": period_of(assisted),
        "citizen_key": citizen_key(secret, data["id_number"]),
        "id_masked": mask_id_number(data["id_number"]),
        "full_name": data["full_name"],
        "birth_year": data["birth_year"],
        "sex": data["sex"],
        "phone": data["phone"],
        "consent": True,
        "consent_method": data["consent_method"],
        "device_owner": data["device_owner"],
        "note": data["note"],
        "visit_id": data["visit_id"],
        "rev": 1,
        "mutation_id": None,
        "age_group": age_group(data["birth_year"], assisted.astimezone(VIETNAM_TZ).year).value,
        "counted": data["outcome"] == "success",  # each visit is a new citizen
        "review_status": "pending",
        "received_at": now,
    }


def _places(spec: ProvinceSpec) -> list[VillagePlace]:
    return [(v.code, v.commune_code or "", v.province_code or "") for v in spec.villages]


def fill(engine: Engine, specs: list[ProvinceSpec], entries: int, period: str) -> dict[str, Any]:
    """Units, quotas and `entries` rows (half in province 52 when there are several
    provinces), then every kept figure by recount; returns the seconds each step took."""
    timings: dict[str, Any] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        for spec in specs:
            upsert_units(session, unit_rows(spec))
            quotas = plan_quotas(spec, 1, period)
            set_quotas(
                session, [(q.unit_code, q.service, q.period, q.target, q.group) for q in quotas]
            )
        session.commit()
    timings["units_s"] = round(time.perf_counter() - started, 1)
    focus = [p for s in specs if s.unit.code == PROVINCE for p in _places(s)]
    others = [p for s in specs if s.unit.code != PROVINCE for p in _places(s)]
    share = FOCUS_SHARE if focus and others else (1.0 if focus else 0.0)
    rng = random.Random(52)
    maker = EntryMaker(seed=52, villages=[p[0] for p in focus + others])
    secret = uuid.uuid4().hex  # a throw-away server key: rows are written directly
    device_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    started = time.perf_counter()
    done = 0
    while done < entries:
        rows: list[dict[str, Any]] = []
        while len(rows) < min(CHUNK, entries - done):
            place = rng.choice(focus if rng.random() < share else others)
            for data in maker.entry_data(place[0]):
                rows.append(server_row(data, place, device_id, secret, now))
        rows = rows[: entries - done]
        with Session(engine) as session:
            insert_rows(session, ENTRIES, rows)
            session.commit()
        done += len(rows)
    timings["insert_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            # Planner statistics for the rows just copied in, or the recount plans blind.
            session.execute(text("ANALYZE"))
        recount(session, fix=True)
        session.commit()
    timings["recount_fix_s"] = round(time.perf_counter() - started, 1)
    return timings


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def sqlite_province(entries: int, folder: Path = RESULTS_DIR) -> Dataset:
    """Province 52 with `entries` entries in a cached SQLite file (built when missing)."""
    period = str(datetime.now(UTC).year)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tally-{entries}.sqlite3"
    params: dict[str, Any] = {}
    if path.exists():
        params["db"] = f"cached {path.name}"
    else:
        tmp = path.with_suffix(".building")
        for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            stale.unlink(missing_ok=True)
        migrate(sqlite_url(tmp))
        engine = make_engine(sqlite_url(tmp))
        try:
            params |= fill(engine, [load_province(PROVINCE)], entries, period)
        finally:
            engine.dispose()
        tmp.rename(path)
        params["db"] = f"built {path.name}"
    url = sqlite_url(path)
    migrate(url)  # a cached database follows new migrations
    engine = make_engine(url)
    if not _count(engine, Tally):
        with Session(engine) as session:
            recount(session, fix=True)
            session.commit()
    return Dataset(url, engine, period, entries, 1, params)


def _pg_database(url: str, name: str) -> str:
    """The URL of database `name` on the same server as `url`."""
    return f"{url.rsplit('/', 1)[0]}/{name}"


def _pg_url() -> str:
    return os.environ.get("BENCH_PG_URL", PG_URL)


def postgres_country(
    entries: int, codes: list[str] | None = None, name: str | None = None
) -> Dataset:
    """All 34 provinces (or those of `codes`) with `entries` entries in a cached PostgreSQL
    database of their own (`name`, else one named after the sizes; see `drop_postgres`)."""
    import psycopg

    period = str(datetime.now(UTC).year)
    codes = codes or province_codes()
    name = name or postgres_name(entries, codes)
    admin = _pg_url().replace("postgresql+psycopg", "postgresql")
    url = _pg_database(_pg_url(), name)
    params: dict[str, Any] = {}
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    ready = False
    if found:
        migrate(url)
        engine = make_engine(url)
        # Pushes of the `province` benchmark add a few entries to a cached database.
        ready = _count(engine, EntryRow) >= entries and _count(engine, Tally) > 0
        engine.dispose()
    if ready:
        params["db"] = f"cached {name}"
        with psycopg.connect(_pg_database(admin, name), autocommit=True) as conn:
            conn.execute("ANALYZE")  # rows pushed by earlier runs: statistics kept fresh
    else:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        migrate(url)
        engine = make_engine(url)
        try:
            specs = [load_province(code) for code in codes]
            params |= fill(engine, specs, entries, period)
        finally:
            engine.dispose()
        with psycopg.connect(_pg_database(admin, name), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        params["db"] = f"built {name}"
    engine = make_engine(url)
    return Dataset(url, engine, period, entries, len(codes), params)


def postgres_name(entries: int, codes: list[str]) -> str:
    """The name of the database `postgres_country` keeps for these sizes."""
    every = len(codes) == len(province_codes())
    return f"bench_country_{entries}" if every else f"bench_{'_'.join(codes)}_{entries}"


def drop_postgres(name: str) -> None:
    """Drop a PostgreSQL benchmark database (the small runs of the test suite do)."""
    import psycopg

    admin = _pg_url().replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def staff_login(session: Session, user: User) -> str:
    """A live web session for a staff user (added if new, 8 hours); returns its cookie token.

    Not committed: the caller commits with whatever else it sets up.
    """
    session.add(user)
    session.flush()
    limits = web_sessions.SessionLimits(idle=timedelta(hours=8), absolute=timedelta(hours=8))
    return web_sessions.open_session(session, user, limits).token
