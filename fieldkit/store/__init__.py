"""The laptop's store: entries, outbox and pulled state in one private SQLite file."""

from fieldkit.store.errors import StoreError
from fieldkit.store.profiles import (
    ProfileInfo,
    create_profile,
    list_profiles,
    open_store,
    profile_path,
)
from fieldkit.store.records import (
    EntryFilter,
    EntryQuery,
    EntryRow,
    EntryStatus,
    HelpedCounts,
    Profile,
    RejectedItem,
    SavedEntry,
    StoreStatus,
    UnsentCounts,
    VillageProgress,
)
from fieldkit.store.store import Store

__all__ = [
    "EntryFilter",
    "EntryQuery",
    "EntryRow",
    "EntryStatus",
    "HelpedCounts",
    "Profile",
    "ProfileInfo",
    "RejectedItem",
    "SavedEntry",
    "Store",
    "StoreError",
    "StoreStatus",
    "UnsentCounts",
    "VillageProgress",
    "create_profile",
    "list_profiles",
    "open_store",
    "profile_path",
]
