"""The Store: one volunteer's SQLite file; every write is one committed transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateIndex

from fieldkit.domain import Entry, ServiceInfo
from fieldkit.domain.wire import (
    EnrollResponse,
    Mutation,
    PullResponse,
    PushResponse,
    QuotaRead,
    TallyRow,
    VillageInfo,
)
from fieldkit.store import entries as entries_
from fieldkit.store import outbox, privacy, pulled, signing
from fieldkit.store.engine import make_engine
from fieldkit.store.errors import StoreError
from fieldkit.store.keys import hash_pin, new_local_key, verify_pin
from fieldkit.store.models import Base, EntryRecord, ProfileRow, RejectedRow
from fieldkit.store.records import (
    EntryQuery,
    EntryRow,
    Profile,
    RejectedItem,
    SavedEntry,
    StoreStatus,
    UnsentCounts,
)
from fieldkit.store.signing import SigningKey, new_signing_key, public_key_of
from fieldkit.store.status import store_status

SCHEMA_VERSION = 4
"""PRAGMA user_version. 1: the first schema; 2: identity numbers masked to their last three
digits; 3: indexes for the returned and follow-up counts; 4: an index for counting citizens."""


class Store:
    """The laptop's store for one profile; methods are synchronous and safe from a worker."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(path)
        self.reader = make_engine(path, read_only=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reading = sessionmaker(self.reader, expire_on_commit=False)
        Base.metadata.create_all(self.engine)
        with self._write() as session:
            self._upgrade(session)
            entries_.sync_state(session)
        self._profile: Profile | None = None
        self._local_key = ""

    # -- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _upgrade(session: Session) -> None:
        """Bring data written by older versions up to SCHEMA_VERSION, in one transaction."""
        found = session.connection().exec_driver_sql("PRAGMA user_version").scalar() or 0
        if found < 2:
            privacy.shorten_masks(session)
        if found < 4:
            # create_all makes missing tables only; indexes added since come here.
            for index in cast(Table, EntryRecord.__table__).indexes:
                session.execute(CreateIndex(index, if_not_exists=True))
        if found < SCHEMA_VERSION:
            session.connection().exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction (BEGIN IMMEDIATE); returns only after COMMIT."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """One read snapshot (plain BEGIN): never waits for a writer, never blocks one."""
        with self._reading() as session, session.begin():
            yield session

    def close(self) -> None:
        """Release the database file."""
        self.engine.dispose()
        self.reader.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- profile ----------------------------------------------------------------------------

    def init_profile(
        self,
        name: str,
        enroll: EnrollResponse,
        server_url: str,
        signing_key: str | None = None,
    ) -> None:
        """Write the profile row from an enrollment (once, when the profile is created).

        `signing_key` is the private key whose public half went with the enrollment; the
        server stored it when its answer names that public half.
        """
        with self._write() as session:
            if session.get(ProfileRow, 1) is not None:
                raise StoreError("profile.exists", name=name)
            session.add(
                ProfileRow(
                    id=1,
                    name=name,
                    device_id=enroll.device_id,
                    token=enroll.token,
                    server_url=server_url.rstrip("/"),
                    user_id=enroll.user_id,
                    user_name=enroll.user_name,
                    team_id=enroll.team_id,
                    villages=[v.model_dump(mode="json") for v in enroll.villages],
                    default_village=enroll.villages[0].code if enroll.villages else None,
                    lang="vi",
                    pin_hash=None,
                    local_hash_key=new_local_key(),
                    created_at=datetime.now(UTC),
                )
            )
            state = entries_.sync_state(session)
            state.server_epoch = enroll.server_epoch
            if signing_key is not None:
                registered = enroll.public_key == public_key_of(signing_key)
                signing.keep(session, signing_key, registered)
        self._profile = None

    def signing_key(self) -> SigningKey:
        """The laptop's bundle-signing key pair, made now if this profile has none yet."""
        with self._read() as session:
            found = signing.stored(session)
        if found is not None:
            return found
        with self._write() as session:
            return signing.stored(session) or signing.keep(session, new_signing_key(), False)

    def mark_signing_key_registered(self, public_key: str) -> None:
        """The server stored this public key: bundles signed with its pair are accepted."""
        with self._write() as session:
            signing.mark_registered(session, public_key)

    def _profile_row(self, session: Session) -> ProfileRow:
        row = session.get(ProfileRow, 1)
        if row is None:
            raise StoreError("profile.none")
        return row

    @property
    def profile(self) -> Profile:
        """The enrolled volunteer, device and server this store belongs to."""
        if self._profile is None:
            with self._read() as session:
                row = self._profile_row(session)
                self._profile = Profile(
                    name=row.name,
                    device_id=row.device_id,
                    token=row.token,
                    server_url=row.server_url,
                    user_id=row.user_id,
                    user_name=row.user_name,
                    team_id=row.team_id,
                    villages=[VillageInfo.model_validate(v) for v in row.villages],
                    default_village=row.default_village,
                    lang=row.lang,
                    pin_hash=row.pin_hash,
                )
                self._local_key = row.local_hash_key
        return self._profile

    @property
    def local_key(self) -> str:
        """The device-local key of the identity-number hash."""
        _ = self.profile
        return self._local_key

    def _update_profile(self, **values: object) -> None:
        with self._write() as session:
            row = self._profile_row(session)
            for key, value in values.items():
                setattr(row, key, value)
        self._profile = None

    def set_pin(self, pin: str | None) -> None:
        """Set (or with None, clear) the PIN that unlocks the TUI."""
        self._update_profile(pin_hash=hash_pin(pin) if pin is not None else None)

    def check_pin(self, pin: str) -> bool:
        """Whether the PIN is right (True when no PIN is set)."""
        pin_hash = self.profile.pin_hash
        return True if pin_hash is None else verify_pin(pin_hash, pin)

    def set_default_village(self, code: str) -> None:
        """The village new entries get unless another is chosen."""
        self._update_profile(default_village=code)

    def set_lang(self, lang: str) -> None:
        """The profile's language (vi or en)."""
        self._update_profile(lang="en" if lang == "en" else "vi")

    def set_server_url(self, url: str) -> None:
        """Point the profile at another address of its server (the same server, moved)."""
        url = url.strip()
        if not url.startswith(("http://", "https://")) or len(url) > 500:
            raise StoreError("profile.bad_url", url=url[:80])
        self._update_profile(server_url=url.rstrip("/"))

    def set_villages(self, villages: list[VillageInfo]) -> None:
        """Replace the team's villages (after a pull renamed or retired some)."""
        self._update_profile(villages=[v.model_dump(mode="json") for v in villages])

    # -- entries ----------------------------------------------------------------------------

    def save_entries(self, entries: list[Entry]) -> list[SavedEntry]:
        """Save new entries and their outbox rows in one transaction; returns after COMMIT."""
        key = self.local_key
        try:
            with self.engine.begin() as conn:
                return entries_.save_entries(conn, entries, key)
        except IntegrityError:
            with self._read() as session:
                stored = entries_.first_stored(session, [str(e.id) for e in entries])
            if stored is None:
                raise
            raise StoreError("entry.exists", entry_id=stored) from None

    def save_entry(self, entry: Entry) -> SavedEntry:
        """Save one new entry (see save_entries)."""
        return self.save_entries([entry])[0]

    def update_entry(self, entry: Entry) -> SavedEntry:
        """Edit an entry or fix a rejected one: rev+1, base_rev, a new outbox row."""
        key = self.local_key
        with self._write() as session:
            return entries_.update_entry(session, entry, key)

    def get_entry(self, entry_id: uuid.UUID | str) -> EntryRow | None:
        """One entry, or None."""
        with self._read() as session:
            return entries_.get_entry(session, entry_id)

    def query_entries(self, query: EntryQuery) -> list[EntryRow]:
        """A page of entries, newest first."""
        with self._read() as session:
            return entries_.query_entries(session, query)

    def count_entries(self, query: EntryQuery) -> int:
        """How many entries match (paging ignored)."""
        with self._read() as session:
            return entries_.count_entries(session, query)

    def already_helped(self, id_number: str, service: str) -> datetime | None:
        """When this citizen first had a success for this service on this laptop."""
        key = self.local_key
        with self._read() as session:
            return entries_.already_helped(session, key, id_number, service)

    def phone_use_count(self, phone: str, exclude_id_number: str | None = None) -> int:
        """How many distinct citizens this phone was recorded for here."""
        key = self.local_key
        with self._read() as session:
            return entries_.phone_use_count(session, key, phone, exclude_id_number)

    @contextmanager
    def lookups(self) -> Iterator[entries_.SessionLookups]:
        """One read snapshot for many already-helped / shared-phone checks (bulk imports)."""
        key = self.local_key
        with self._read() as session:
            yield entries_.SessionLookups(session, key)

    def rejected_items(self, entry_id: uuid.UUID | str | None = None) -> list[RejectedItem]:
        """The never-deleted list of refusals, newest first."""
        stmt = select(RejectedRow).order_by(RejectedRow.id.desc())
        if entry_id is not None:
            stmt = stmt.where(RejectedRow.entry_id == str(entry_id))
        with self._read() as session:
            return [
                RejectedItem(
                    entry_id=uuid.UUID(r.entry_id),
                    mutation_id=r.mutation_id,
                    code=r.code,
                    message=r.message,
                    at=r.at,
                )
                for r in session.scalars(stmt)
            ]

    def erase_expired(self, retention_days: int) -> int:
        """Erase personal data of acknowledged entries older than retention_days."""
        with self._write() as session:
            return privacy.erase_expired(session, retention_days)

    # -- sync -------------------------------------------------------------------------------

    def pending_batch(self, limit: int = 500) -> list[Mutation]:
        """The oldest outbox mutations, in mutation-id order."""
        with self._read() as session:
            return outbox.pending_batch(session, limit)

    def pending_count(self) -> int:
        """How many mutations wait for the server."""
        with self._read() as session:
            return outbox.pending_count(session)

    def unsent(self) -> UnsentCounts:
        """Citizens and entries with a change the server has not acknowledged yet."""
        with self._read() as session:
            return outbox.unsent(session)

    def apply_push_response(self, response: PushResponse) -> int:
        """Ack what the server applied: mark acked and duplicates, list rejections.

        Full numbers stay (shown masked) until a later sync confirms: see mask_acknowledged.
        """
        with self._write() as session:
            return outbox.apply_push_response(session, response)

    def renumber_outbox(self, first_id: int) -> int:
        """After a 409 gap: renumber the outbox from the id the server expects."""
        with self._write() as session:
            return outbox.renumber_outbox(session, first_id)

    def apply_pull_page(self, response: PullResponse) -> None:
        """Store one pulled page and its cursor in one transaction."""
        with self._write() as session:
            pulled.apply_pull_page(session, response)

    def cursor(self) -> int:
        """The pull cursor (the last change_seq applied)."""
        with self._read() as session:
            return entries_.sync_state(session).cursor

    def server_epoch(self) -> str | None:
        """The server epoch the cursor belongs to."""
        with self._read() as session:
            return entries_.sync_state(session).server_epoch

    def last_mutation_id(self) -> int:
        """The highest mutation id the server acknowledged."""
        with self._read() as session:
            return entries_.sync_state(session).last_mutation_id

    def reset_for_epoch(self, epoch: str) -> int:
        """The server was restored: reset the cursor and re-queue every entry still whole."""
        with self._write() as session:
            return outbox.reset_for_epoch(session, epoch)

    def forget_revoked(self) -> int:
        """Mask every full number: the server revoked this laptop (see privacy)."""
        with self._write() as session:
            return privacy.forget_revoked(session)

    def mask_overdue(
        self, mask_after: timedelta, retention_days: int, now: datetime | None = None
    ) -> int:
        """Mask full numbers kept past their limit, whatever the sync state (see privacy)."""
        with self._write() as session:
            return privacy.mask_overdue(session, mask_after, retention_days, now)

    def mask_acknowledged(self, acked_before: datetime) -> int:
        """Mask full numbers acknowledged before `acked_before` (see fieldkit.store.privacy).

        Only the sync engine calls this, after a pull found the server in the same epoch.
        """
        with self._write() as session:
            return privacy.mask_acknowledged(session, acked_before)

    def record_sync(self, error: str | None = None, at: datetime | None = None) -> None:
        """Remember a finished sync (error None) or why the last one failed."""
        with self._write() as session:
            state = entries_.sync_state(session)
            if error is None:
                state.last_sync_at = at or datetime.now(UTC)
                state.last_error = None
            else:
                state.last_error = error[:500]

    def services(self) -> list[ServiceInfo]:
        """The service catalogue (defaults plus what the server sent)."""
        with self._read() as session:
            return pulled.services(session)

    def tallies(self) -> list[TallyRow]:
        """The last synced tallies of the volunteer's village and commune."""
        with self._read() as session:
            return pulled.tallies(session)

    def quotas(self) -> list[QuotaRead]:
        """The last synced quotas of the volunteer's village and commune."""
        with self._read() as session:
            return pulled.quotas(session)

    def villages(self) -> list[VillageInfo]:
        """The team's villages, with names updated from pulled villages."""
        with self._read() as session:
            names = {v.code: v for v in pulled.pulled_villages(session)}
        return [names.get(v.code, v) for v in self.profile.villages]

    def status(self) -> StoreStatus:
        """Pending, rejected, duplicates, last sync and the villages' quota progress."""
        team = self.profile.villages
        with self._read() as session:  # one snapshot: names, counts and progress agree
            names = {v.code: v for v in pulled.pulled_villages(session)}
            return store_status(session, [names.get(v.code, v) for v in team])
