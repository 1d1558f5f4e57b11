"""The review queue: one entry, the ticked ones, everything matching (with a confirm step)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from api_factories import COMMUNE_A, VILLAGE_A, VILLAGE_A2, VILLAGE_B, World, entry
from commune_world import campaign, push
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import csrf_of, sign_in, staff

from sync_server.db.models import AuditLog, Entry, Review


def _statuses(world: World) -> dict[str, str]:
    with world.factory() as session:
        return dict(session.execute(select(Entry.id, Entry.review_status)).all())


def _signed_in(client: TestClient, world: World) -> None:
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")


def test_the_queue_shows_the_communes_waiting_entries_newest_first_masked(
    client: TestClient, world: World
) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    page = client.get(f"/review?unit={COMMUNE_A}")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-entry-id="([^"]+)">', page.text)
    assert set(rows) == set(made.entry_ids[VILLAGE_A] + made.entry_ids[VILLAGE_A2])
    assert not set(rows) & set(made.entry_ids[VILLAGE_B])
    with world.factory() as session:
        order = list(
            session.scalars(
                select(Entry.id)
                .where(Entry.commune_code == COMMUNE_A)
                .order_by(Entry.assisted_at.desc(), Entry.id)
            )
        )
        audited = session.scalar(
            select(func.count()).where(
                AuditLog.action == "entry.read", AuditLog.unit_code == COMMUNE_A
            )
        )
    assert rows == order
    assert audited == len(rows)
    assert not re.search(r"052\d{9}", page.text)  # identity numbers only masked
    assert "•••" in page.text
    filtered = client.get(f"/review?unit={COMMUNE_A}&village={VILLAGE_A2}&outcome=failed")
    assert re.findall(r'<tr data-entry-id="([^"]+)">', filtered.text) == [
        made.entry_ids[VILLAGE_A2][-2]
    ]


def test_one_entry_rejected_with_a_reason_then_the_next_one(
    client: TestClient, world: World
) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    first = client.get("/review/next?unit=" + COMMUNE_A)
    assert first.status_code == 303
    entry_page = client.get(first.headers["location"])
    entry_id = re.search(r'<dl class="entry" data-entry-id="([^"]+)"', entry_page.text)
    assert entry_id is not None
    target = entry_id.group(1)
    token = csrf_of(entry_page.text)
    form = {"csrf_token": token, "unit": COMMUNE_A, "scope": "one", "entry_id": target}

    refused = client.post("/review/decide", data={**form, "decision": "rejected", "reason": " "})
    assert refused.status_code == 400
    assert "Hãy ghi lý do" in refused.text
    assert _statuses(world)[target] == "pending"

    done = client.post(
        "/review/decide", data={**form, "decision": "rejected", "reason": "Sai số định danh"}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/review/next?")
    assert _statuses(world)[target] == "rejected"
    with world.factory() as session:
        review = session.scalars(select(Review).where(Review.entry_id == target)).one()
    assert (review.decision, review.reason) == ("rejected", "Sai số định danh")
    following = client.get(done.headers["location"])
    assert following.status_code == 303 and target not in following.headers["location"]
    assert all(i in _statuses(world) for i in made.entry_ids[VILLAGE_A])


def test_ticked_entries_and_everything_matching_after_a_confirm(
    client: TestClient, world: World
) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    page = client.get(f"/review?unit={COMMUNE_A}")
    token = csrf_of(page.text)
    ticked = made.entry_ids[VILLAGE_A][:2]
    response = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "unit": COMMUNE_A,
            "scope": "ticked",
            "entry_id": ticked,
            "decision": "approved",
            "reason": "",
            "status": "pending",
        },
    )
    assert response.status_code == 303
    statuses = _statuses(world)
    assert [statuses[i] for i in ticked] == ["approved", "approved"]
    assert statuses[made.entry_ids[VILLAGE_A][2]] == "pending"

    foreign = made.entry_ids[VILLAGE_B][0]
    mixed = client.post(
        "/review/decide",
        data={
            "csrf_token": token,
            "unit": COMMUNE_A,
            "scope": "ticked",
            "entry_id": [made.entry_ids[VILLAGE_A][3], foreign],
            "decision": "approved",
        },
    )
    assert mixed.status_code == 400
    assert _statuses(world)[made.entry_ids[VILLAGE_A][3]] == "pending"
    assert _statuses(world)[foreign] == "pending"

    matching = {"village": VILLAGE_A2, "status": "pending"}
    ask = client.post(
        "/review/decide",
        data={"csrf_token": token, "unit": COMMUNE_A, "scope": "all", "decision": "has_issues",
              "reason": "Thiếu ảnh", **matching},
    )  # fmt: skip
    assert ask.status_code == 200
    count = re.search(r'data-metric="matching" data-value="(\d+)"', ask.text)
    assert count is not None and int(count.group(1)) == 3
    assert all(_statuses(world)[i] == "pending" for i in made.entry_ids[VILLAGE_A2])
    stale = client.post(
        "/review/decide",
        data={"csrf_token": token, "unit": COMMUNE_A, "scope": "all", "decision": "has_issues",
              "reason": "Thiếu ảnh", "confirm": "yes", "expected": "2", **matching},
    )  # fmt: skip
    assert stale.status_code == 200 and "Danh sách đã thay đổi" in stale.text
    assert all(_statuses(world)[i] == "pending" for i in made.entry_ids[VILLAGE_A2])
    confirmed = client.post(
        "/review/decide",
        data={"csrf_token": csrf_of(ask.text), "unit": COMMUNE_A, "scope": "all",
              "decision": "has_issues", "reason": "Thiếu ảnh", "confirm": "yes",
              "expected": "3", **matching},
    )  # fmt: skip
    assert confirmed.status_code == 303
    statuses = _statuses(world)
    assert all(statuses[i] == "has_issues" for i in made.entry_ids[VILLAGE_A2])
    assert statuses[made.entry_ids[VILLAGE_A][4]] == "pending"


def test_a_decision_without_a_valid_token_changes_nothing(client: TestClient, world: World) -> None:
    made = campaign(client, world)
    _signed_in(client, world)
    target = made.entry_ids[VILLAGE_A][0]
    for token in ("", "0" * 64):
        response = client.post(
            "/review/decide",
            data={"csrf_token": token, "unit": COMMUNE_A, "scope": "one", "entry_id": target,
                  "decision": "approved"},
        )  # fmt: skip
        assert response.status_code == 403
    assert _statuses(world)[target] == "pending"


def test_a_flag_on_arrival_names_the_server_and_its_reason(
    client: TestClient, world: World
) -> None:
    """An entry dated before its laptop's enrollment: the coordinator sees who flagged it, why."""
    volunteer = world.volunteer(VILLAGE_A)
    backdated = entry(VILLAGE_A, assisted_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    push(client, volunteer, [backdated])
    _signed_in(client, world)
    page = client.get(f"/review/entries/{backdated['id']}?unit={COMMUNE_A}")
    assert page.status_code == 200
    assert "máy chủ, khi nhận · Có vấn đề: Thời điểm hỗ trợ ghi trước khi máy tính" in page.text
