"""One sync: push the outbox in batches (retrying unknown outcomes), then pull every page."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from fieldkit.domain import wire
from fieldkit.domain.digits import ascii_int
from fieldkit.settings import MASK_AFTER_MINUTES
from fieldkit.sync.errors import SyncError
from fieldkit.sync.report import SyncReport
from fieldkit.sync.retry import RetryPolicy
from fieldkit.sync.transport import (
    Attempts,
    base_headers,
    encode_json,
    error_body,
    make_client,
    raise_for_refusal,
    send,
)

PUSH_PATH = f"{wire.API_PREFIX}/sync/push"
DEVICE_KEY_PATH = f"{wire.API_PREFIX}/devices/key"
PULL_PATH = f"{wire.API_PREFIX}/sync/pull"
PULL_LIMIT = 500
# A restored server is re-pushed at most this many times in one sync (it cannot restore faster).
MAX_EPOCH_RESETS = 2
# How long an acknowledged entry keeps its full number (ClientSettings.mask_after_minutes).
MASK_AFTER = timedelta(minutes=MASK_AFTER_MINUTES)

Progress = Callable[[int, int], None]


class SyncProfile(Protocol):
    """The enrolled device's identity as the store keeps it."""

    @property
    def token(self) -> str: ...

    @property
    def server_url(self) -> str: ...

    @property
    def lang(self) -> str: ...


TOKEN_REVOKED = "token_revoked"
"""The server's 401 code for a revoked device token."""


class SyncSigningKey(Protocol):
    """The laptop's bundle-signing key pair as the store keeps it."""

    @property
    def public_key(self) -> str: ...

    @property
    def registered(self) -> bool: ...


class SyncStore(Protocol):
    """What sync needs from the laptop's store (fieldkit.store.Store provides it)."""

    @property
    def profile(self) -> SyncProfile: ...

    def signing_key(self) -> SyncSigningKey: ...

    def mark_signing_key_registered(self, public_key: str) -> None: ...

    def pending_batch(self, limit: int = ...) -> list[wire.Mutation]: ...

    def pending_count(self) -> int: ...

    def apply_push_response(self, response: wire.PushResponse) -> int: ...

    def renumber_outbox(self, first_id: int) -> int: ...

    def apply_pull_page(self, response: wire.PullResponse) -> None: ...

    def cursor(self) -> int: ...

    def server_epoch(self) -> str | None: ...

    def last_mutation_id(self) -> int: ...

    def reset_for_epoch(self, epoch: str) -> int: ...

    def mask_acknowledged(self, acked_before: datetime) -> int: ...

    def forget_revoked(self) -> int: ...

    def record_sync(self, error: str | None = ..., at: datetime | None = ...) -> None: ...


def _parse(
    model: type[wire.PushResponse] | type[wire.PullResponse], response: httpx.Response
) -> Any:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise SyncError("server_error", detail=f"bad {model.__name__}: {exc.errors()[:1]}") from exc


class _Sync:
    """The state of one sync_once call."""

    def __init__(
        self,
        store: SyncStore,
        client: httpx.Client,
        policy: RetryPolicy,
        progress: Progress | None,
        batch_size: int,
        pull_limit: int,
    ) -> None:
        self.store = store
        self.client = client
        self.policy = policy
        self.progress = progress
        self.batch_size = max(1, min(batch_size, wire.MAX_PUSH_BATCH))
        self.pull_limit = pull_limit
        self.report = SyncReport()
        self.counts = Attempts(reasons=self.report.retry_reasons)
        self.resets = 0
        self.renumbers = 0
        self.headers = base_headers(store.profile.token)
        self.started_at = datetime.now(UTC)
        self.confirmed_at: datetime | None = None

    def run(self) -> SyncReport:
        """Push before pull; a new server epoch resets the store and pushes again."""
        self.register_key()
        while True:
            self.push_all()
            if not self.pull_all():
                return self.report

    def register_key(self) -> None:
        """Give the server this laptop's bundle-signing public key if it does not have it yet.

        Laptops enrolled before bundles were signed by the laptop do it on their next sync.
        A server that refuses the key (it holds another one) leaves it unregistered: syncing
        goes on, and `SyncReport.key_refused` says bundles from this laptop will be refused.
        """
        key = self.store.signing_key()
        if key.registered:
            return
        body, headers = encode_json(
            wire.DeviceKeyRequest(public_key=key.public_key).model_dump_json().encode()
        )
        response = send(
            self.client,
            "POST",
            self.url(DEVICE_KEY_PATH),
            policy=self.policy,
            content=body,
            headers=self.headers | headers,
            counts=self.counts,
        )
        if response.is_success:
            self.store.mark_signing_key_registered(key.public_key)
        elif response.status_code in (400, 404, 409):
            self.report.key_refused = True
        else:
            raise_for_refusal(response)

    def push_all(self) -> None:
        """Send every pending mutation, batch by batch, until the outbox is empty."""
        total = self.store.pending_count()
        done = 0
        if self.progress:
            self.progress(0, total)
        last_first: int | None = None
        while batch := self.store.pending_batch(self.batch_size):
            first = batch[0].mutation_id
            if first == last_first:
                # The store handed back a batch the server already acknowledged.
                raise SyncError("server_error", detail=f"mutation {first} was not acknowledged")
            last_first = first
            sent, response = self.push_batch(batch)
            self.store.apply_push_response(response)
            self.report.add_push(sent, response)
            done += sent
            if self.progress:
                self.progress(done, max(total, done))

    def push_batch(self, batch: list[wire.Mutation]) -> tuple[int, wire.PushResponse]:
        """Send one batch until its fate is known; resends carry the same mutation ids."""
        body, headers = encode_json(wire.PushRequest(mutations=batch).model_dump_json().encode())
        response = send(
            self.client,
            "POST",
            self.url(PUSH_PATH),
            policy=self.policy,
            content=body,
            headers=self.headers | headers,
            counts=self.counts,
        )
        self.report.retries = self.counts.retries
        if response.status_code == 409:
            return self.on_gap(response, batch)
        if response.status_code == 413 and len(batch) > 1:
            # Too large for this server: send the first half now, the rest comes next round.
            return self.push_batch(batch[: len(batch) // 2])
        if not response.is_success:
            raise_for_refusal(response)
        parsed: wire.PushResponse = _parse(wire.PushResponse, response)
        return len(batch), parsed

    def url(self, path: str) -> str:
        """The path against the client's base URL, or the profile's server when it has none."""
        if str(self.client.base_url):
            return path
        return str(self.store.profile.server_url).rstrip("/") + path

    def on_gap(
        self, response: httpx.Response, batch: list[wire.Mutation]
    ) -> tuple[int, wire.PushResponse]:
        """A 409: after a server restore, renumber the outbox and resend; otherwise report it.

        The server expects mutation `expected` next but our oldest pending one is later. If the
        server's epoch changed, or it remembers more of our mutations than we know were
        acknowledged (our store was reset for a restored server), its history was rolled back:
        our outbox, renumbered from `expected`, is exactly what it lacks. Anything else means a
        mutation vanished, which a person must look at.
        """
        code, message = error_body(response)
        expected = _expected_id(message, response)
        if expected is not None and self.renumbers < MAX_EPOCH_RESETS:
            page = self.fetch_page(self.store.cursor(), 1)
            if page.server_epoch != self.store.server_epoch():
                self.reset(page.server_epoch)
            if self.report.epoch_reset or self.store.last_mutation_id() < expected - 1:
                self.renumbers += 1
                self.store.renumber_outbox(expected)
                fresh = self.store.pending_batch(self.batch_size)
                if fresh:
                    return self.push_batch(fresh)
        raise SyncError("gap", detail=f"{code}: {message}", expected=expected)

    def reset(self, epoch: str) -> None:
        """Forget the cursor and queue everything again for a restored server."""
        self.resets += 1
        self.report.epoch_reset = True
        self.store.reset_for_epoch(epoch)

    def fetch_page(self, cursor: int, limit: int) -> wire.PullResponse:
        """One pull page (GET is safe to repeat)."""
        response = send(
            self.client,
            "GET",
            self.url(PULL_PATH),
            policy=self.policy,
            params={"cursor": cursor, "limit": limit},
            headers=self.headers,
            counts=self.counts,
        )
        self.report.retries = self.counts.retries
        if not response.is_success:
            raise_for_refusal(response)
        parsed: wire.PullResponse = _parse(wire.PullResponse, response)
        return parsed

    def pull_all(self) -> bool:
        """Apply every page; True when the epoch changed and the outbox must be pushed again."""
        while True:
            asked_at = datetime.now(UTC)
            page = self.fetch_page(self.store.cursor(), self.pull_limit)
            known = self.store.server_epoch()
            if known is not None and page.server_epoch != known:
                if self.resets >= MAX_EPOCH_RESETS:
                    raise SyncError("server_error", detail="server epoch keeps changing")
                self.reset(page.server_epoch)
                return True
            if known is not None:
                self.confirmed_at = asked_at  # the server still was in the epoch we know
            self.store.apply_pull_page(page)
            self.report.pulled += len(page.changes)
            if not page.has_more or not page.changes:
                return False

    def mask_confirmed(self, grace: timedelta) -> None:
        """Mask the numbers this sync's pull proved the server kept (fieldkit.store.privacy).

        Only entries acknowledged before this sync began and at least `grace` before the pull
        that found the server in the same epoch; nothing when this sync met a restored server
        (what it re-sent waits for the next sync).
        """
        if self.report.epoch_reset or self.confirmed_at is None:
            return
        acked_before = min(self.started_at, self.confirmed_at - grace)
        self.report.masked = self.store.mask_acknowledged(acked_before)


def _expected_id(message: str, response: httpx.Response) -> int | None:
    """The mutation id a 409 names, from a structured field or the message's last number."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        for source in (error, data):
            if isinstance(source, dict) and isinstance(source.get("expected"), int):
                return int(source["expected"])
    numbers = [ascii_int(word) for word in message.replace(".", " ").replace(",", " ").split()]
    found = [number for number in numbers if number is not None]
    return found[-1] if found else None


def sync_once(
    store: SyncStore,
    *,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    batch_size: int = 500,
    pull_limit: int = PULL_LIMIT,
    policy: RetryPolicy | None = None,
    mask_after: timedelta = MASK_AFTER,
) -> SyncReport:
    """Push all pending mutations, then pull all changes; raises SyncError if it cannot finish.

    Whatever happens, nothing is lost: a mutation leaves the outbox only when the server's
    acknowledgement has been applied to the store, and an acknowledged entry keeps its full
    number until a later sync, at least `mask_after` after the acknowledgement, finds the
    server in the same epoch; only then, at the end of that sync, is it masked. A server
    restored from an older backup (new epoch) is therefore sent everything it may have lost.
    """
    started = time.monotonic()
    own = client is None
    profile = store.profile
    http = client if client is not None else make_client(profile.server_url, profile.token)
    try:
        one = _Sync(store, http, policy or RetryPolicy(), progress, batch_size, pull_limit)
        report = one.run()
        one.mask_confirmed(mask_after)
    except SyncError as exc:
        if exc.server_code == TOKEN_REVOKED:  # for good: no number can reach the server now
            store.forget_revoked()
        store.record_sync(exc.message(profile.lang))
        raise
    finally:
        if own:
            http.close()
    report.duration = time.monotonic() - started
    store.record_sync(None)
    return report
