"""A counted citizen is not taken from another unit by pushing an earlier `assisted_at`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_factories import (
    COMMUNE_A,
    COMMUNE_B,
    HEADERS,
    PROVINCE,
    VILLAGE_A,
    VILLAGE_B,
    World,
    entry,
    id_number,
    login,
    push_body,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync_server.api.app import create_app
from sync_server.db.engine import make_engine, make_sessionmaker
from sync_server.db.models import Device, Review
from sync_server.services.recount import recount
from sync_server.settings import get_settings

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


def _achieved(client: TestClient, auth: dict[str, str], unit: str) -> int:
    rows = client.get("/api/v1/tally", params={"unit": unit}, headers=auth).json()
    return sum(
        r["achieved"] for r in rows if r["unit_code"] == unit and r["service"] == "vneid_level1"
    )


def _disputed(client: TestClient, auth: dict[str, str], unit: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/entries", params={"unit": unit, "disputed": True}, headers=auth)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _recount_agrees(world: World) -> None:
    with world.factory() as session:
        assert recount(session) == []


def test_an_earlier_time_pushed_later_does_not_move_the_credit(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    honest, thief = world.volunteer(VILLAGE_A), world.volunteer(VILLAGE_B, "Kẻ Gian")
    citizen = id_number()
    now = datetime.now(UTC)
    counted = entry(
        VILLAGE_A, id_number=citizen, assisted_at=(now - timedelta(hours=2)).isoformat()
    )
    pushed = client.post(PUSH, json=push_body(counted), headers=honest.auth)
    assert pushed.json()["results"][0]["status"] == "accepted"
    world.staff("province", PROVINCE, "Sở KH&CN")
    province = login(client, "Sở KH&CN")
    assert _achieved(client, province, VILLAGE_A) == 1

    earlier = entry(
        VILLAGE_B, id_number=citizen, assisted_at=(now - timedelta(days=30)).isoformat()
    )
    claimed = client.post(PUSH, json=push_body(earlier), headers=thief.auth).json()
    assert claimed["results"][0]["status"] == "duplicate"
    assert _achieved(client, province, VILLAGE_A) == 1
    assert _achieved(client, province, VILLAGE_B) == 0
    assert _achieved(client, province, PROVINCE) == 1
    _recount_agrees(world)

    # Both sides' coordinators see the dispute, each through their own entry.
    world.staff("coordinator", COMMUNE_A, "Điều phối A")
    world.staff("coordinator", COMMUNE_B, "Điều phối B")
    coordinator_a, coordinator_b = login(client, "Điều phối A"), login(client, "Điều phối B")
    assert [e["id"] for e in _disputed(client, coordinator_a, COMMUNE_A)] == [counted["id"]]
    assert [e["id"] for e in _disputed(client, coordinator_b, COMMUNE_B)] == [earlier["id"]]
    assert _disputed(client, province, PROVINCE) != []

    # Resolved in review: commune A's coordinator finds their entry wrong and rejects it.
    review = client.post(
        f"/api/v1/entries/{counted['id']}/review",
        json={"decision": "rejected", "reason": "Người dân đã được thôn khác hỗ trợ trước"},
        headers=coordinator_a,
    )
    assert review.status_code == 200, review.text
    assert _achieved(client, province, VILLAGE_A) == 0
    assert _achieved(client, province, VILLAGE_B) == 1
    assert _disputed(client, coordinator_a, COMMUNE_A) == []
    assert _disputed(client, coordinator_b, COMMUNE_B) == []
    _recount_agrees(world)


def test_an_edit_onto_a_counted_citizen_is_received_anew(client: TestClient, world: World) -> None:
    """Parking an early entry and editing it onto another unit's citizen later takes nothing."""
    honest, thief = world.volunteer(VILLAGE_A), world.volunteer(VILLAGE_B, "Kẻ Gian")
    parked = entry(VILLAGE_B, id_number=id_number())
    assert client.post(PUSH, json=push_body(parked), headers=thief.auth).status_code == 200
    citizen = id_number()
    counted = entry(VILLAGE_A, id_number=citizen)
    client.post(PUSH, json=push_body(counted), headers=honest.auth)
    moved = parked | {"id_number": citizen, "rev": 2}
    body = {"mutations": [{"mutation_id": 2, "entry": moved, "base_rev": 1}]}
    assert client.post(PUSH, json=body, headers=thief.auth).status_code == 200
    world.staff("province", PROVINCE, "Sở KH&CN")
    province = login(client, "Sở KH&CN")
    assert _achieved(client, province, VILLAGE_A) == 1
    assert _achieved(client, province, VILLAGE_B) == 0
    _recount_agrees(world)


def _flagged_after_push(
    client: TestClient, volunteer: Any, pushed_entries: list[dict[str, Any]]
) -> tuple[dict[str, str], list[str]]:
    """Push entries (all accepted); a coordinator's auth and the ids of the flagged ones."""
    pushed = client.post(PUSH, json=push_body(*pushed_entries), headers=volunteer.auth).json()
    assert [r["status"] for r in pushed["results"]] == ["accepted"] * len(pushed_entries)
    auth = login(client, "Điều phối A")
    queue = client.get(
        "/api/v1/entries", params={"unit": COMMUNE_A, "review_status": "has_issues"}, headers=auth
    ).json()
    return auth, [e["id"] for e in queue["data"]]


def test_an_entry_dated_before_the_laptop_was_enrolled_waits_for_review(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)  # enrolled just now
    now = datetime.now(UTC)
    backdated = entry(VILLAGE_A, assisted_at=(now - timedelta(days=30)).isoformat())
    recent = entry(VILLAGE_A, assisted_at=(now - timedelta(hours=20)).isoformat())
    world.staff("coordinator", COMMUNE_A, "Điều phối A")
    auth, flagged = _flagged_after_push(client, volunteer, [backdated, recent])
    assert flagged == [backdated["id"]]
    with world.factory() as session:
        [review] = session.scalars(select(Review).where(Review.entry_id == backdated["id"])).all()
    assert review.decision == "has_issues" and "đăng ký" in review.reason
    assert _achieved(client, auth, VILLAGE_A) == 2  # stored and counted, only flagged
    approved = client.post(
        f"/api/v1/entries/{backdated['id']}/review", json={"decision": "approved"}, headers=auth
    )
    assert approved.status_code == 200, approved.text
    _recount_agrees(world)


def _enrolled_long_ago(world: World, device_id: str) -> None:
    """A laptop enrolled a year ago, so only the late-arrival rule can flag its entries."""
    with world.factory() as session:
        device = session.get(Device, device_id)
        assert device is not None
        device.created_at = datetime.now(UTC) - timedelta(days=365)
        session.commit()


def _reviews(world: World, entry_id: str) -> list[Review]:
    with world.factory() as session:
        return list(session.scalars(select(Review).where(Review.entry_id == entry_id)))


def test_an_entry_received_long_after_it_happened_waits_for_review(
    served_any: tuple[TestClient, World],
) -> None:
    client, world = served_any
    volunteer = world.volunteer(VILLAGE_A)
    _enrolled_long_ago(world, volunteer.device_id)
    now = datetime.now(UTC)
    late = entry(VILLAGE_A, assisted_at=(now - timedelta(days=120)).isoformat())
    in_time = entry(VILLAGE_A, assisted_at=(now - timedelta(days=80)).isoformat())
    world.staff("coordinator", COMMUNE_A, "Điều phối A")
    auth, flagged = _flagged_after_push(client, volunteer, [late, in_time])
    assert flagged == [late["id"]]
    [review] = _reviews(world, late["id"])
    assert review.decision == "has_issues" and "hơn 90 ngày" in review.reason
    assert _reviews(world, in_time["id"]) == []
    assert _achieved(client, auth, VILLAGE_A) == 2  # stored and counted, only flagged
    # The laptop hears of it as of a coordinator's decision.
    pulled = client.get(PULL, params={"cursor": 0}, headers=volunteer.auth).json()
    news = [c for c in pulled["changes"] if c["kind"] == "review"]
    assert [(c["key"], c["data"]["decision"]) for c in news] == [(late["id"], "has_issues")]
    assert news[0]["data"]["reason"] == review.reason
    _recount_agrees(world)


def test_the_late_window_is_a_setting(
    sqlite_url: str, tmp_path: Path, migrated_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SYNC_SERVER_LATE_ENTRY_DAYS=30: an entry 40 days old on arrival is flagged."""
    shutil.copyfile(migrated_sqlite, sqlite_url.removeprefix("sqlite:///"))
    monkeypatch.setenv("SYNC_SERVER_LATE_ENTRY_DAYS", "30")
    settings = get_settings(database_url=sqlite_url, data_dir=tmp_path)
    assert settings.late_entry_days == 30
    engine = make_engine(sqlite_url)
    world = World(make_sessionmaker(engine))
    world.units()
    with TestClient(create_app(settings), headers=HEADERS) as client:
        volunteer = world.volunteer(VILLAGE_A)
        _enrolled_long_ago(world, volunteer.device_id)
        now = datetime.now(UTC)
        old = entry(VILLAGE_A, assisted_at=(now - timedelta(days=40)).isoformat())
        pushed = client.post(PUSH, json=push_body(old), headers=volunteer.auth)
        assert pushed.status_code == 200, pushed.text
    [review] = _reviews(world, old["id"])
    engine.dispose()
    assert "hơn 30 ngày" in review.reason
