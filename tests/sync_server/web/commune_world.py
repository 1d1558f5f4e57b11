"""A commune with volunteers, pushed entries and quotas, for the coordinator's page tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from api_factories import (
    COMMUNE_A,
    HEADERS,
    VILLAGE_A,
    VILLAGE_A2,
    VILLAGE_B,
    World,
    entry,
    push_body,
)
from fastapi.testclient import TestClient

from sync_server.services.quotas import set_quota

PERIOD = str(datetime.now(UTC).year)


@dataclass
class Campaign:
    """What the campaign made: volunteers by village and the ids of the entries pushed."""

    volunteers: dict[str, Any] = field(default_factory=dict)
    entry_ids: dict[str, list[str]] = field(default_factory=dict)


def push(client: TestClient, volunteer: Any, entries: list[dict[str, Any]], first: int = 1) -> None:
    """Push entries from a volunteer's laptop through the real API."""
    response = client.post(
        "/api/v1/sync/push",
        json=push_body(*entries, first=first),
        headers={**HEADERS, **volunteer.auth},
    )
    assert response.status_code == 200, response.text
    assert all(r["status"] == "accepted" for r in response.json()["results"]), response.text


def campaign(client: TestClient, world: World) -> Campaign:
    """Two villages of commune A and one of commune B with entries and quotas."""
    made = Campaign()
    now = datetime.now(UTC)
    plan = {VILLAGE_A: (5, 10), VILLAGE_A2: (1, 3), VILLAGE_B: (4, 4)}
    for village, (successes, quota) in plan.items():
        volunteer = world.volunteer(village, name=f"Tình nguyện viên {village}")
        made.volunteers[village] = volunteer
        items = [
            entry(village, assisted_at=(now - timedelta(hours=i + 1)).isoformat())
            for i in range(successes)
        ]
        items.append(entry(village, outcome="failed", reasons=["no_network"]))
        items.append(entry(village, service="dvc_account"))
        push(client, volunteer, items)
        made.entry_ids[village] = [item["id"] for item in items]
        with world.factory() as session:
            set_quota(session, village, "vneid_level1", PERIOD, quota)
            session.commit()
    with world.factory() as session:
        set_quota(session, COMMUNE_A, "vneid_level1", PERIOD, 20)
        session.commit()
    return made
