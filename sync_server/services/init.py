"""Making a database ready to serve: the newest schema, then what every server holds.

`migrate` is what `sync-server init`, `serve`, every CLI command and the tests call: Alembic
brings the schema up to date (`sync_server.db.engine.upgrade_schema`), then `seed_defaults`
adds the epoch, the change counter and the default service catalogue if they are missing. The
server key is never seeded here: it lives outside the database (services/server_key.py).
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from fieldkit.domain import DEFAULT_SERVICES
from sync_server.db.engine import make_engine, upgrade_schema
from sync_server.db.models import CHANGE_SEQ, Counter, Service
from sync_server.services.changes import NewChange, record_changes
from sync_server.services.secrets import ensure_meta


def seed_defaults(session: Session) -> None:
    """Meta rows, the change counter and the default service catalogue (idempotent)."""
    ensure_meta(session)
    if session.get(Counter, CHANGE_SEQ) is None:
        session.add(Counter(name=CHANGE_SEQ, value=0))
        session.flush()
    known = set(session.scalars(select(Service.code)))
    added: list[NewChange] = []
    for info in DEFAULT_SERVICES:
        if info.code in known:
            continue
        session.add(
            Service(
                code=info.code,
                label_vi=info.label_vi,
                label_en=info.label_en,
                counts_toward_quota=info.counts_toward_quota,
                active=info.active,
            )
        )
        added.append(NewChange("service", info.code, "*", info.model_dump(mode="json")))
    session.flush()
    if added:
        record_changes(session, added)


def migrate(url_or_engine: str | URL | Engine) -> None:
    """Upgrade the database to the newest schema and create the server's meta rows."""
    owned = not isinstance(url_or_engine, Engine)
    engine = make_engine(url_or_engine) if not isinstance(url_or_engine, Engine) else url_or_engine
    try:
        upgrade_schema(engine)
        with Session(engine) as session:
            seed_defaults(session)
            session.commit()
    finally:
        if owned:
            engine.dispose()
