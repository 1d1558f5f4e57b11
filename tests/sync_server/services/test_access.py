"""The one access policy: every role × every unit kind, for reading, managing and quotas."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sync_server.db.models import Team, Unit, User
from sync_server.services import access

UNIT_ROWS = {
    "province": {"code": "52", "level": "province"},
    "other province": {"code": "64", "level": "province"},
    "commune": {"code": "100", "level": "commune", "parent_code": "52", "province_code": "52"},
    "other commune": {"code": "200", "level": "commune", "parent_code": "52",
                      "province_code": "52"},
    "village": {"code": "100-1", "level": "village", "parent_code": "100",
                "commune_code": "100", "province_code": "52"},
    "other village": {"code": "200-1", "level": "village", "parent_code": "200",
                      "commune_code": "200", "province_code": "52"},
}  # fmt: skip
UNITS: dict[str, Unit] = {}
ROLES = {
    "volunteer": ("volunteer", "100-1"),
    "coordinator": ("coordinator", "100"),
    "coordinator elsewhere": ("coordinator", "200"),
    "province": ("province", "52"),
    "province elsewhere": ("province", "64"),
    "admin": ("admin", None),
}
READS = {
    "volunteer": {"commune", "village"},
    "coordinator": {"commune", "village"},
    "coordinator elsewhere": {"other commune", "other village"},
    "province": {"province", "commune", "village", "other commune", "other village"},
    "province elsewhere": {"other province"},
    "admin": set(UNIT_ROWS),
}
QUOTAS = {
    "volunteer": set(),
    "coordinator": {"village"},
    "coordinator elsewhere": {"other village"},
    "province": {"commune", "village", "other commune", "other village"},
    "province elsewhere": set(),
    "admin": set(UNIT_ROWS),
}


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    UNITS.clear()
    for kind, row in UNIT_ROWS.items():
        UNITS[kind] = Unit(name=kind, **row)
        session.add(UNITS[kind])
        session.flush()
    team = Team(village_code="100-1", name="Tổ thôn 1")
    session.add(team)
    session.flush()
    users = {}
    for label, (role, unit) in ROLES.items():
        user = User(name=label, role=role, unit_code=unit,
                    team_id=team.id if role == "volunteer" else None)  # fmt: skip
        session.add(user)
        users[label] = user
    session.flush()
    return users


def test_who_reads_what(session: Session, people: dict[str, User]) -> None:
    for label, user in people.items():
        readable = {kind for kind, unit in UNITS.items() if access.can_read(session, user, unit)}
        assert readable == READS[label], label


def test_who_sets_which_quotas_and_reviews_where(session: Session, people: dict[str, User]) -> None:
    for label, user in people.items():
        settable = {kind for kind, unit in UNITS.items() if access.can_set_quota(user, unit)}
        assert settable == QUOTAS[label], label
        manages = {k for k, u in UNITS.items() if access.can_manage(user, access.lineage(u))}
        expected = set() if label == "volunteer" else READS[label]
        assert manages == expected, label


def test_staff_pages_refuse_with_a_status_the_web_and_api_both_map(
    session: Session, people: dict[str, User]
) -> None:
    with pytest.raises(access.AccessError) as refused:
        access.staff_unit(session, people["volunteer"], "100-1")
    assert refused.value.status == 403
    with pytest.raises(access.AccessError) as refused:
        access.staff_unit(session, people["coordinator"], "200")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    with pytest.raises(access.AccessError) as refused:
        access.staff_unit(session, people["admin"], "99999")
    assert (refused.value.status, refused.value.code) == (404, "unit_not_found")
    assert access.staff_unit(session, people["province"], "200-1").code == "200-1"
    assert access.readable_unit(session, people["volunteer"], None).code == "100-1"


def test_who_may_reset_whose_password(session: Session, people: dict[str, User]) -> None:
    def may(actor: str, target: str) -> bool:
        person = people[target]
        unit = session.get(Unit, person.unit_code) if person.unit_code else None
        return access.manageable_user(people[actor], person, unit)

    assert may("province", "coordinator") and may("province", "coordinator elsewhere")
    assert may("coordinator", "volunteer") and may("admin", "province elsewhere")
    assert not may("coordinator", "coordinator elsewhere")
    assert not may("province elsewhere", "coordinator")
    assert not may("coordinator", "province") and not may("province", "admin")
    assert not may("volunteer", "volunteer") and not may("admin", "admin")
