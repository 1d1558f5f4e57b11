"""Pushing a laptop's mutations into the server: check → admit → ingest, one writer at a time.

Every way a laptop's data arrives goes through `PushPipeline`: a push (`POST /sync/push`) and
a sneakernet bundle (`POST /bundles`, the staff page's upload, `sync-server import-bundle`).

1. **Check** (no database, one batch per process at a time): the caller's parse of the body,
   NUL characters defused, every well-formed entry turned into a row (`admission.prepare`).
2. **Admit** (a read transaction): units, services and the device's team read, every entry
   checked against them (`admission.admit`).
3. **Ingest** (under the writers' lock, in one write transaction): inserts, dedupe, tallies,
   changes and the device's last mutation id (`ingest.ingest_prepared`). A batch that skips
   mutation ids raises `MutationGap` (sync rule 2, docs/architecture.md) and changes nothing.

While one push writes (SQLite works without the GIL; other workers in other processes) the
next one's checks run; pushes then take the writers' lock in turn instead of polling SQLite's
busy handler. One batch per process checks at a time (`checking`): more would only take the GIL
from the one that writes. And that one checker steps aside (`writers.idle`, between chunks of
entries) while a push of its own process holds the writers' lock: a writer that must win the GIL
back after every row SQLite writes held the lock ~40 % longer (66–74 ms instead of 46 ms per
batch of 500, measured with 2 workers); the other process's checker keeps the second core busy
meanwhile. Units, services and the team are read in a read transaction just before: a push
that races a team change is taken as if it had arrived a moment earlier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldkit.domain import wire
from sync_server.db.engine import reading, writing
from sync_server.db.models import Device, User
from sync_server.db.writers import WriterLock
from sync_server.services import admission, bundles, ingest
from sync_server.services.ingest import MutationGap
from sync_server.services.push_results import Ingested
from sync_server.services.server_key import configured_key
from sync_server.settings import LATE_ENTRY_DAYS

__all__ = ["MutationGap", "PushPipeline", "ingest_mutations", "without_nul"]

# PostgreSQL text cannot hold NUL; SOH is stored fine and fails the entry's own validation.
_NUL, _STAND_IN = "\x00", "\x01"
_ESCAPED_NUL = b"\\u0000"
"""JSON can only carry a NUL escaped: a push body without this holds none."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _defused(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_NUL, _STAND_IN)
    if isinstance(value, dict):
        return {_defused(k): _defused(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_defused(v) for v in value]
    return value


def without_nul(mutations: Sequence[wire.Mutation]) -> list[wire.Mutation]:
    """Mutations whose NUL characters became control characters the entry validation refuses.

    A NUL reaching PostgreSQL fails the whole batch with a 5xx the device would resend forever;
    this way the item is rejected on its own (sync rule 4, docs/architecture.md) and the queue
    moves on.
    """
    return [
        m.model_copy(update={"entry": _defused(m.entry)}) if _has_nul(m.entry) else m
        for m in mutations
    ]


def ingest_mutations(
    session: Session,
    device: Device,
    mutations: Sequence[wire.Mutation],
    secret: str | None = None,
    late_after: timedelta | None = None,
) -> wire.PushResponse:
    """Check, admit and ingest one device's batch in the caller's transaction, without the
    writers' lock (seeding and service tests; the server goes through `PushPipeline`).

    `secret` is the server key; None means the key this process is configured with.
    `late_after` is SYNC_SERVER_LATE_ENTRY_DAYS (admission.flag_late): what laptops send
    (`PushPipeline`) passes it; None (seeded data) flags no entry late.
    """
    key = secret if secret is not None else configured_key()
    prepared = admission.prepare(mutations, key)
    admitted = admission.admit(session, device, prepared, late_after)
    return ingest.ingest_prepared(session, device, admitted).response()


AfterIngest = Callable[[Session, wire.PushResponse], object]
"""Work done in the ingest's own transaction once the batch is applied (an audit row)."""


class PushPipeline:
    """One process's way in for pushed data: the writers' lock, one checker, the server key."""

    def __init__(
        self,
        database_url: str,
        secret: str,
        late_after: timedelta = timedelta(days=LATE_ENTRY_DAYS),
    ) -> None:
        self.writers = WriterLock(database_url)
        """One pushing writer at a time, handed over at once (see sync_server.db.writers)."""
        self.checking = threading.Lock()
        """One batch at a time per process checks its entries (pure Python: it holds the GIL),
        so the push that holds the writers' lock competes with one checker, not with all."""
        self.secret = secret
        self.late_after = late_after
        """Entries received this long after they happened wait for review (flag_late)."""

    def push(
        self,
        session: Session,
        device: Device,
        raw: bytes,
        parse: Callable[[bytes], wire.PushRequest],
    ) -> bytes:
        """Apply a push body (`parse` turns it into the request, or raises); the response JSON.

        The session must have no transaction open; the batch is committed when this returns.
        """

        def mutations() -> Sequence[wire.Mutation]:
            parsed = parse(raw).mutations
            return without_nul(parsed) if _ESCAPED_NUL in raw else parsed

        return self._apply(session, device, mutations).response_json()

    def import_bundle(
        self,
        session: Session,
        data: bytes,
        importer: User | None = None,
        then: AfterIngest | None = None,
    ) -> wire.PushResponse:
        """Verify a bundle and apply its mutations like a push; importing twice changes nothing.

        Raises BundleError (bad file, unknown device, no registered key, bad signature),
        BundleRefused (`importer` out of scope) or MutationGap (the bundle starts after
        mutations the server never saw). `then` runs in the ingest's transaction.
        """
        with reading(session):
            device, mutations = bundles.open_bundle(session, data, importer)
        answer: list[wire.PushResponse] = []

        def respond(session: Session, ingested: Ingested) -> None:
            answer.append(ingested.response())
            if then is not None:
                then(session, answer[0])

        self._apply(session, device, lambda: without_nul(mutations), respond)
        return answer[0]

    def _apply(
        self,
        session: Session,
        device: Device,
        mutations: Callable[[], Sequence[wire.Mutation]],
        then: Callable[[Session, Ingested], object] | None = None,
    ) -> Ingested:
        """Check and admit the batch, then ingest it under the writers' lock, and commit."""
        pause = self.writers.idle.wait
        with self.checking:
            pause()
            prepared = admission.prepare(mutations(), self.secret, pause)
            pause()
            with reading(session):
                admitted = admission.admit(session, device, prepared, self.late_after)
        with self.writers, writing(session):
            ingested = ingest.ingest_prepared(session, device, admitted)
            if then is not None:
                then(session, ingested)
        return ingested
