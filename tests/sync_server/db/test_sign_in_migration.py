"""Migration 0006_sign_in_limits: codes made before it expire seven days after they were made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import insert
from sqlalchemy.orm import Session

from sync_server.db.engine import alembic_config, make_engine
from sync_server.db.models import EnrollmentCode, User
from sync_server.services import devices
from sync_server.services.init import migrate


def test_old_open_codes_expire_seven_days_after_they_were_made(db_url: str) -> None:
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005_staff_pages")
    now = datetime.now(UTC)
    made = {"OLDCODE14": now - timedelta(days=430), "NEWCODE01": now - timedelta(days=1)}
    with engine.begin() as connection:
        connection.execute(
            insert(User.__table__).values(id=1, name="Lò Văn Minh", role="volunteer")
        )
        for code, created_at in made.items():
            connection.execute(
                insert(EnrollmentCode.__table__).values(
                    code_hash=devices.code_hash(code), user_id=1, created_at=created_at
                )
            )
    migrate(engine)
    with Session(engine) as session:
        for code, created_at in made.items():
            row = session.get(EnrollmentCode, devices.code_hash(code))
            assert row is not None and row.expires_at is not None
            assert abs(row.expires_at - (created_at + timedelta(days=7))) < timedelta(seconds=1)
            assert row.revoked_at is None
        with pytest.raises(devices.EnrollmentError):
            devices.enroll(session, "OLDCODE14", "laptop")
    engine.dispose()
