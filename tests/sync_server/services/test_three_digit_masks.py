"""Stored masks keep the last three digits only, and older databases' masks are shortened."""

from __future__ import annotations

from alembic import command
from server_factories import entry_data, id_number, make_device, make_geography, mutations
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from sync_server.db.engine import alembic_config
from sync_server.db.models import Conflict, Entry
from sync_server.services.pushing import ingest_mutations


def test_stored_masks_keep_the_last_three_digits(session: Session) -> None:
    geo = make_geography(session)
    village = geo.villages[geo.communes[0]][0]
    device = make_device(session, village)
    ingest_mutations(session, device, mutations([entry_data(village, 7)]))
    session.commit()
    stored = session.scalars(select(Entry.id_masked)).one()
    assert stored == "•••••••••" + id_number(7)[-3:]


def test_the_migration_shortens_older_masks(engine: Engine, db_url: str) -> None:
    with Session(engine) as session:
        geo = make_geography(session)
        village = geo.villages[geo.communes[0]][0]
        device = make_device(session, village)
        first = entry_data(village, 7)
        ingest_mutations(session, device, mutations([first, entry_data(village, 8)]))
        session.add(
            Conflict(
                entry_id=first["id"], device_id=device.id, mutation_id=9, base_rev=0,
                stored_rev=1, data={"id_number": "052••••••007", "full_name": "B"},
            )
        )  # fmt: skip
        session.commit()
        # As a database of the previous schema holds them: first three and last three digits.
        session.execute(text("UPDATE entries SET id_masked = '052••••••' || substr(id_masked, 10)"))
        session.execute(
            text("UPDATE entries SET id_masked = '••••••••••••' WHERE id = :id"),
            {"id": first["id"]},
        )
        session.execute(text("UPDATE alembic_version SET version_num = '0002'"))
        session.commit()
    # Only this revision runs again: the later ones' columns exist already in this schema.
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003_three_digit_masks")
        command.stamp(config, "head")
    with Session(engine) as session:
        masks = sorted(session.scalars(select(Entry.id_masked)))
        assert masks == ["•••••••••008", "••••••••••••"]
        conflict = session.scalars(select(Conflict)).one()
        assert conflict.data == {"id_number": "•••••••••007", "full_name": "B"}
