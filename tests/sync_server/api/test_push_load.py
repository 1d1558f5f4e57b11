"""A server process busy with other pushes asks the client to reconnect; a quiet one does not."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from api_factories import VILLAGE_A, VILLAGE_B, World, entry, push_body
from fastapi.testclient import TestClient

from sync_server.api.push_load import PushLoad
from sync_server.api.runtime import runtime_of

PUSH = "/api/v1/sync/push"


def test_crowded_only_with_other_workers_and_another_push_in_flight() -> None:
    single, shared = PushLoad(1), PushLoad(2)
    with single, single:
        assert not single.crowded() and single.headers() is None
    with shared:
        assert not shared.crowded()
        with shared:
            assert shared.crowded() and shared.headers() == {"Connection": "close"}
        assert not shared.crowded()
    with pytest.raises(RuntimeError), shared:
        raise RuntimeError("a failed push")
    with shared:  # the failed push no longer counts
        assert not shared.crowded()


def test_the_push_that_ends_while_another_waits_asks_its_client_to_reconnect(
    served_two_workers: tuple[TestClient, World],
) -> None:
    client, world = served_two_workers
    app = client.app
    a, b = world.volunteer(VILLAGE_A), world.volunteer(VILLAGE_B)
    for volunteer, village in ((a, VILLAGE_A), (b, VILLAGE_B)):
        alone = client.post(PUSH, json=push_body(entry(village)), headers=volunteer.auth)
        assert alone.status_code == 200 and alone.headers.get("connection") != "close"

    def push(volunteer_auth: dict[str, str], village: str) -> httpx.Response:
        return client.post(PUSH, json=push_body(entry(village), first=2), headers=volunteer_auth)

    load = runtime_of(app).push_load
    writers = runtime_of(app).pushing.writers
    with ThreadPoolExecutor(2) as pool:
        with writers:  # both pushes are checked, then wait for the writers' lock
            futures = [pool.submit(push, a.auth, VILLAGE_A), pool.submit(push, b.auth, VILLAGE_B)]
            deadline = time.monotonic() + 10
            while load.in_flight < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert load.in_flight == 2
        responses = [f.result(10) for f in futures]
    assert [r.status_code for r in responses] == [200, 200]
    closing = [r.headers.get("connection") == "close" for r in responses]
    # The first to finish saw the other in flight; the last one was alone by then.
    assert sorted(closing) == [False, True]
    assert all(r.json()["results"][0]["status"] == "accepted" for r in responses)
