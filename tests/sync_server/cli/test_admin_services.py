"""The services behind the CLI, on SQLite and PostgreSQL: units, users, quotas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import make_engine
from sync_server.db.models import ChangeLog, EnrollmentCode, Quota, Team, Unit
from sync_server.services.devices import code_hash
from sync_server.services.init import migrate
from sync_server.services.quotas import QuotaError, import_quotas, set_quota
from sync_server.services.units import UnitError, list_units, retire_unit, upsert_unit
from sync_server.services.users import CODE_ALPHABET, UserError, add_user


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    migrate(db_url)
    engine: Engine = make_engine(db_url)
    with Session(engine) as session:
        upsert_unit(session, "52", "Gia Lai", "province")
        upsert_unit(session, "21583", "Phường Quy Nhơn", "commune", parent_code="52")
        upsert_unit(session, "21583-1", "Tổ dân phố 1", "village", parent_code="21583")
        upsert_unit(session, "21583-2", "Tổ dân phố 2", "village", parent_code="21583")
        session.commit()
        yield session
    engine.dispose()


def test_units_list_and_upsert_is_idempotent(session: Session) -> None:
    assert [u.code for u in list_units(session)] == ["52"]
    villages = list_units(session, "21583")
    assert [(v.code, v.level) for v in villages] == [
        ("21583-1", wire.UnitLevel.VILLAGE),
        ("21583-2", wire.UnitLevel.VILLAGE),
    ]
    before = session.scalars(select(ChangeLog.seq)).all()
    upsert_unit(session, "21583-1", "Tổ dân phố 1", "village", parent_code="21583")
    assert session.scalars(select(ChangeLog.seq)).all() == before  # nothing changed
    upsert_unit(session, "21583-1", "Tổ dân phố Một", "village", parent_code="21583")
    change = session.scalars(select(ChangeLog).order_by(ChangeLog.seq.desc())).first()
    assert change is not None and change.kind == "village" and change.scope == "21583"
    unit = session.get(Unit, "21583-1")
    assert unit is not None and unit.commune_code == "21583" and unit.province_code == "52"
    with pytest.raises(UnitError):
        list_units(session, "nope")
    with pytest.raises(UnitError):
        upsert_unit(session, "x-1", "X", "village", parent_code="nope")
    with pytest.raises(UnitError):
        upsert_unit(session, "53", "X", "planet")


def test_retire_village_moves_teams_and_quotas(session: Session) -> None:
    add_user(session, "volunteer", "21583-2", "Phan Văn Tài")
    set_quota(session, "21583-1", "vneid_level2", "2026", 30)
    set_quota(session, "21583-2", "vneid_level2", "2026", 20)
    retire_unit(session, "21583-2", "21583-1")
    unit = session.get(Unit, "21583-2")
    assert unit is not None and unit.retired and unit.replaced_by == "21583-1"
    teams = session.scalars(select(Team.village_code)).all()
    assert set(teams) == {"21583-1"}
    kept = session.get(Quota, ("21583-1", "vneid_level2", "2026", "all"))
    assert kept is not None and kept.target == 50
    assert [u.retired for u in list_units(session, "21583")] == [False, True]
    with pytest.raises(UnitError):
        retire_unit(session, "21583-1", "21583-2")  # retired units replace nothing
    with pytest.raises(QuotaError):
        set_quota(session, "21583-2", "vneid_level2", "2026", 1)


def test_add_user_roles(session: Session) -> None:
    volunteer = add_user(session, "volunteer", "21583-1", " Nguyễn   Thị Hoa ")
    assert volunteer.code is not None and volunteer.password is None
    assert len(volunteer.code) == 8 and set(volunteer.code) <= set(CODE_ALPHABET)
    stored = session.get(EnrollmentCode, code_hash(volunteer.code.lower()))
    assert stored is not None and stored.user_id == volunteer.user_id
    second = add_user(session, "volunteer", "21583-1", "Lê Văn Nam")
    assert session.scalar(select(Team.id).where(Team.village_code == "21583-1")) is not None
    assert len(session.scalars(select(Team).where(Team.village_code == "21583-1")).all()) == 1
    assert second.code != volunteer.code
    for role, unit in (("coordinator", "21583"), ("province", "52"), ("admin", "21583-1")):
        added = add_user(session, role, unit, "Cán bộ")
        assert added.password is not None and added.code is None
    for role, unit in (("volunteer", "21583"), ("coordinator", "52"), ("province", "21583")):
        with pytest.raises(UserError):
            add_user(session, role, unit, "Sai cấp")
    with pytest.raises(UnitError):
        add_user(session, "volunteer", "99999-1", "Không có")


def test_quota_changes_reach_the_change_log_and_import_reports_rows(session: Session) -> None:
    set_quota(session, "21583", "dvc_account", "2026", 400)
    change = session.scalars(select(ChangeLog).order_by(ChangeLog.seq.desc())).first()
    assert change is not None and change.kind == "quota" and change.scope == "21583"
    assert change.data["target"] == 400
    errors = import_quotas(
        session,
        [
            {"unit_code": "21583-1", "service": "dvc_account", "period": "2026", "target": "250"},
            {"unit_code": "21583-2", "service": "dvc_account", "period": "2026", "target": "x"},
            {"unit_code": "21583-2", "service": "dvc_account", "period": None, "target": "1"},
            {},
        ],
    )
    assert [(e.row, e.field) for e in errors] == [
        (3, "target"),
        (4, "period"),
        (5, "target"),
    ]
    quota = session.get(Quota, ("21583-1", "dvc_account", "2026", "all"))
    assert quota is not None and quota.target == 250
