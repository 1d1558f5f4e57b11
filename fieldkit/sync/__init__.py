"""The laptop's sync client: enrol, push the outbox, pull changes (httpx, no Textual)."""

from fieldkit.sync.engine import SyncStore, sync_once
from fieldkit.sync.enroll import enroll, reachable
from fieldkit.sync.errors import SYNC_MESSAGES, SyncError
from fieldkit.sync.now import LaptopStore, sync_now
from fieldkit.sync.report import SyncReport
from fieldkit.sync.retry import RetryPolicy

__all__ = [
    "SYNC_MESSAGES",
    "LaptopStore",
    "RetryPolicy",
    "SyncError",
    "SyncReport",
    "SyncStore",
    "enroll",
    "reachable",
    "sync_now",
    "sync_once",
]
