"""A refused review decision shows the form again as it was: never a flipped decision."""

from __future__ import annotations

import re

from api_factories import COMMUNE_A, World
from commune_world import campaign
from fastapi.testclient import TestClient
from web_helpers import csrf_of, sign_in, staff


def _checked_decision(html: str) -> list[str]:
    return re.findall(r'name="decision" value="(\w+)" checked', html)


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'name="entry_id" value="([^"]+)" id="tick-[^"]+" checked', html))


def _queue_ids(client: TestClient, world: World) -> tuple[list[str], str]:
    """Signed in as the commune's coordinator: the queue's entry ids and a CSRF token."""
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    page = client.get(f"/review?unit={COMMUNE_A}")
    return re.findall(r'<tr data-entry-id="([^"]+)">', page.text), csrf_of(page.text)


def test_one_entry_refused_keeps_the_decision_and_the_reason(
    client: TestClient, world: World
) -> None:
    ids, token = _queue_ids(client, world)
    form = {"csrf_token": token, "unit": COMMUNE_A, "scope": "one", "entry_id": ids[0]}
    missing = client.post("/review/decide", data={**form, "decision": "rejected", "reason": ""})
    assert missing.status_code == 400
    assert _checked_decision(missing.text) == ["rejected"]  # not back to "approve"
    long_reason = "Sai số định danh " * 40
    too_long = client.post(
        "/review/decide", data={**form, "decision": "has_issues", "reason": long_reason}
    )
    assert too_long.status_code == 400
    assert _checked_decision(too_long.text) == ["has_issues"]
    assert f'value="{long_reason}"' in too_long.text


def test_ticked_entries_refused_stay_ticked(client: TestClient, world: World) -> None:
    ids, token = _queue_ids(client, world)
    form = {"csrf_token": token, "unit": COMMUNE_A, "scope": "ticked", "entry_id": ids[:2]}
    refused = client.post("/review/decide", data={**form, "decision": "has_issues", "reason": " "})
    assert refused.status_code == 400
    assert "Hãy ghi lý do" in refused.text
    assert _ticked(refused.text) == set(ids[:2])
    assert _checked_decision(refused.text) == ["has_issues"]


def test_all_matching_without_a_reason_is_refused_before_the_confirm_step(
    client: TestClient, world: World
) -> None:
    """Not a confirm page whose "Yes" then fails: the queue says so at once, input kept."""
    _ids, token = _queue_ids(client, world)
    form = {"csrf_token": token, "unit": COMMUNE_A, "scope": "all", "decision": "rejected"}
    refused = client.post("/review/decide", data={**form, "reason": ""})
    assert refused.status_code == 400
    assert "Hãy ghi lý do" in refused.text and 'name="confirm"' not in refused.text
    assert _checked_decision(refused.text) == ["rejected"]
    asked = client.post("/review/decide", data={**form, "reason": "Sai số định danh"})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
