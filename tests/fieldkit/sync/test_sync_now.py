"""sync_now, the one sync of the app and the CLI: follows the settings, erases expired data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync_chaos import VILLAGE_A, Fault, FaultProxy, Served, make_entry

from fieldkit.settings import ClientSettings
from fieldkit.sync import SyncError, sync_now

ProxyTo = Callable[[int], FaultProxy]


def test_sync_now_sends_a_request_as_often_as_the_settings_allow(
    served: Served, proxy_to: ProxyTo, tmp_path: Path
) -> None:
    store = served.laptop(VILLAGE_A)
    store.save_entries([make_entry(VILLAGE_A)])
    proxy = proxy_to(int(served.url.rsplit(":", 1)[1]))
    proxy.inject(Fault.STATUS_503, times=10)
    store.set_server_url(proxy.url)
    settings = ClientSettings(home=tmp_path, sync_max_attempts=2)
    with pytest.raises(SyncError):
        sync_now(store, settings)
    assert len(proxy.requests("/sync/push")) == 2
    assert store.pending_count() == 1 and store.status().last_error


def test_sync_now_erases_personal_data_past_the_retention_period(
    served: Served, tmp_path: Path
) -> None:
    store = served.laptop(VILLAGE_A)
    old = make_entry(VILLAGE_A).model_copy(
        update={"assisted_at": datetime.now(UTC) - timedelta(days=10)}
    )
    store.save_entries([old, make_entry(VILLAGE_A)])
    settings = ClientSettings(home=tmp_path, retention_days=7, mask_after_minutes=0)
    first = sync_now(store, settings)
    assert (first.accepted, first.erased) == (2, 0)  # acknowledged, not yet confirmed
    second = sync_now(store, settings)
    assert (second.masked, second.erased) == (2, 1)
    row = store.get_entry(old.id)
    assert row is not None and row.erased and row.full_name == ""
