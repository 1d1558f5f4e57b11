"""Sync now: the one way the app (F5, background) and `fieldkit sync` sync a laptop.

Both take every sync setting from ClientSettings (batch size, retries, HTTP timeout, how long
an acknowledged number stays whole) and end with the retention erase, so personal data past
the retention period leaves the laptop whichever of them ran (fieldkit.store.privacy holds
the masking and erasing rules; this only calls them).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from fieldkit.sync.engine import Progress, SyncStore, sync_once
from fieldkit.sync.retry import RetryPolicy
from fieldkit.sync.transport import make_client

if TYPE_CHECKING:
    import httpx

    from fieldkit.settings import ClientSettings
    from fieldkit.sync.report import SyncReport


class LaptopStore(SyncStore, Protocol):
    """What syncing a laptop needs of its store: sync plus the retention erase."""

    def erase_expired(self, retention_days: int) -> int: ...


def retry_policy(settings: ClientSettings) -> RetryPolicy:
    """The retry policy the settings ask for (FIELDKIT_SYNC_MAX_ATTEMPTS)."""
    return RetryPolicy(max_attempts=settings.sync_max_attempts)


def sync_now(
    store: LaptopStore,
    settings: ClientSettings,
    *,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    policy: RetryPolicy | None = None,
) -> SyncReport:
    """Push, pull and mask (sync_once) as the settings say, then erase expired personal data.

    Raises SyncError when the sync cannot finish; the store has recorded why by then. The
    erase runs only after a finished sync: it needs numbers a sync confirmed and masked.
    `client` and `policy` are for tests (a transport, a policy that does not sleep).
    """
    profile = store.profile
    own = client is None
    http = client or make_client(profile.server_url, profile.token, settings.http_timeout_seconds)
    try:
        report = sync_once(
            store,
            client=http,
            progress=progress,
            batch_size=settings.sync_batch_size,
            policy=policy or retry_policy(settings),
            mask_after=timedelta(minutes=settings.mask_after_minutes),
        )
    finally:
        if own:
            http.close()
    report.erased = store.erase_expired(settings.retention_days)
    return report
