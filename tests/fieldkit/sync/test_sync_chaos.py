"""sync_once through a fault-injecting proxy: every entry reaches the server exactly once."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sync_chaos
from sync_chaos import VILLAGE_A, VILLAGE_B, Fault, FaultProxy, Served, make_entry, server_entries

from fieldkit.store import EntryStatus, Store
from fieldkit.sync import RetryPolicy, SyncError, SyncReport, sync_once
from fieldkit.sync.transport import base_headers

ProxyTo = Callable[[int], FaultProxy]


def _via(
    proxy: FaultProxy, store: Store, sleeps: list[float], read: float = 5.0
) -> Callable[..., SyncReport]:
    """sync_once through the proxy with a recording sleep and a short read timeout."""

    def run(**kwargs: object) -> SyncReport:
        timeout = httpx.Timeout(5.0, read=read)
        with httpx.Client(base_url=proxy.url, timeout=timeout) as client:
            policy = RetryPolicy(max_attempts=5, base_delay=0.01, sleep=sleeps.append)
            return sync_once(store, client=client, policy=policy, **kwargs)  # type: ignore[arg-type]

    return run


def _proxy(served: Served, proxy_to: ProxyTo) -> FaultProxy:
    return proxy_to(int(served.url.rsplit(":", 1)[1]))


@pytest.mark.parametrize(
    "fault",
    [
        Fault.LOST_ACK,
        Fault.DROP_MID_BODY,
        Fault.RESET_BEFORE,
        Fault.STATUS_503,
        Fault.STATUS_429,
        Fault.SLOW_REPLY,
    ],
)
def test_unknown_outcome_resends_the_same_batch_exactly_once(
    served: Served, proxy_to: ProxyTo, fault: Fault
) -> None:
    store = served.laptop(VILLAGE_A)
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(5)])
    proxy = _proxy(served, proxy_to)
    proxy.hold_seconds = 3.0
    proxy.inject(fault)
    sleeps: list[float] = []
    report = _via(proxy, store, sleeps, read=0.5)()
    # At least one resend; a loaded machine may time out a resend too, which is still safe.
    assert report.retries >= 1, report.retry_reasons
    assert len(sleeps) == report.retries
    assert proxy.pushed_ids(1) == [s.mutation_id for s in saved]
    if fault is not Fault.DROP_MID_BODY:
        assert proxy.pushed_ids(0) == proxy.pushed_ids(1)  # the very same batch again
    assert (report.pushed, report.accepted) == (5, 5)
    on_server = server_entries(served.db_url)
    assert set(on_server) == {str(s.entry_id) for s in saved}
    assert all(rev == 1 for _, rev, _ in on_server.values())
    assert store.pending_count() == 0
    assert sync_chaos.province_achieved(served.db_url) == 5
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_lost_ack_keeps_per_item_statuses_on_the_resend(served: Served, proxy_to: ProxyTo) -> None:
    first = served.laptop(VILLAGE_A, "Lê Văn Cường")
    second = served.laptop(VILLAGE_B, "Phạm Thị Dung")
    citizen = sync_chaos.id_number(1991)
    first.save_entries([make_entry(VILLAGE_A, id_number=citizen)])
    sync_once(first)
    dup = second.save_entries([make_entry(VILLAGE_B, id_number=citizen)])
    bad = second.save_entries([make_entry(VILLAGE_A)])  # not this team's village
    ok = second.save_entries([make_entry(VILLAGE_B)])
    proxy = _proxy(served, proxy_to)
    proxy.inject(Fault.LOST_ACK)
    report = _via(proxy, second, [])()
    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, 1)
    statuses = {e.entry_id: second.get_entry(e.entry_id) for e in dup + bad + ok}
    assert statuses[dup[0].entry_id].status is EntryStatus.DUPLICATE  # type: ignore[union-attr]
    assert statuses[bad[0].entry_id].status is EntryStatus.REJECTED  # type: ignore[union-attr]
    assert statuses[ok[0].entry_id].status is EntryStatus.ACKED  # type: ignore[union-attr]
    assert len(server_entries(served.db_url)) == 3
    assert sync_chaos.province_achieved(served.db_url) == 2
    assert sync_chaos.recount_mismatches(served.db_url) == []


def test_fault_in_the_middle_batch(served: Served, proxy_to: ProxyTo) -> None:
    store = served.laptop(VILLAGE_A)
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(9)])
    proxy = _proxy(served, proxy_to)
    proxy.inject(Fault.LOST_ACK, after=1)  # the second batch's reply is lost
    proxy.inject(Fault.DROP_MID_BODY, after=1)  # the third batch is cut in half once
    report = _via(proxy, store, [])(batch_size=3)
    assert [s.fault for s in proxy.requests()] == [
        None,
        Fault.LOST_ACK,
        None,
        Fault.DROP_MID_BODY,
        None,
    ]
    assert (report.pushed, report.accepted, report.retries) == (9, 9, 2)
    assert set(server_entries(served.db_url)) == {str(s.entry_id) for s in saved}


def test_lost_pull_page_is_fetched_again(served: Served, proxy_to: ProxyTo) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A) for _ in range(2)])
    proxy = _proxy(served, proxy_to)
    proxy.inject(Fault.LOST_ACK, path="/sync/pull")
    report = _via(proxy, store, [])(pull_limit=2)
    assert report.retries == 1
    cursors = [s.path for s in proxy.requests("/sync/pull")]
    assert cursors[0] == cursors[1]  # the same page asked for again
    plain = sync_once(served.laptop(VILLAGE_A, "Đỗ Văn Em"))
    assert report.pulled >= plain.pulled


def test_garbage_reply_acks_nothing(served: Served, proxy_to: ProxyTo) -> None:
    store = served.laptop(VILLAGE_A)
    saved = store.save_entries([make_entry(VILLAGE_A) for _ in range(3)])
    proxy = _proxy(served, proxy_to)
    proxy.inject(Fault.GARBAGE_200)
    with pytest.raises(SyncError) as caught:
        _via(proxy, store, [])()
    assert caught.value.code == "server_error"
    assert store.pending_count() == 3
    report = _via(proxy, store, [])()
    assert report.accepted == 3
    assert set(server_entries(served.db_url)) == {str(s.entry_id) for s in saved}


def test_old_protocol_is_refused_with_an_update_message(served: Served, proxy_to: ProxyTo) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A)])
    proxy = _proxy(served, proxy_to)
    proxy.inject(Fault.OLD_PROTOCOL)
    with pytest.raises(SyncError) as caught:
        _via(proxy, store, [])()
    assert caught.value.code == "protocol_too_old"
    assert "cập nhật" in caught.value.message("vi")
    assert store.pending_count() == 1 and server_entries(served.db_url) == {}


def test_missing_protocol_header_is_refused(served: Served) -> None:
    headers = base_headers("x")
    del headers["X-Fieldkit-Protocol"]
    response = httpx.get(served.url + "/api/v1/sync/pull", headers=headers)
    assert response.status_code == 400
    assert "protocol" in response.json()["error"]["code"]
