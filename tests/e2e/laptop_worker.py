"""A laptop in its own process, for the kill -9 tests: saves and syncs, printing what it did.

Every line on stdout is written after the fact it reports is durable:
`saved <entry id>` after COMMIT, `synced <accepted> <pending>` after a sync, `reply` just before
an acknowledgement is applied (mode hang-after-reply then waits to be killed), `drained`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from fieldkit.domain import Entry, new_entry_id
from fieldkit.domain.wire import PushResponse
from fieldkit.store import Store
from fieldkit.sync import RetryPolicy, SyncError, sync_once


def say(line: str) -> None:
    """One line to the parent, flushed at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Citizens:
    """Identity numbers unique to this worker, with every `shared`-th one from a common pool."""

    def __init__(self, worker: int, shared: int) -> None:
        self.worker = worker
        self.shared = shared
        self.count = 0

    def next(self) -> str:
        """The next citizen's identity number."""
        self.count += 1
        if self.shared and self.count % self.shared == 0:
            return f"05209599{self.count // self.shared % 7:04d}"
        return f"052095{self.worker:02d}{self.count:04d}"


def entry(village: str, citizens: Citizens) -> Entry:
    """A valid entry for this worker's village."""
    return Entry(
        id=new_entry_id(),
        village=village,
        service="vneid_level1",
        outcome="success",
        assisted_at=datetime.now(UTC) - timedelta(minutes=5),
        full_name="Nguyễn Thị Hoa",
        id_number=citizens.next(),
        birth_year=1995,
        sex="male",
        phone="0912345678",
        consent=True,
    )


class HangingStore(Store):
    """A store that stops dead between receiving an acknowledgement and applying it."""

    def apply_push_response(self, response: PushResponse) -> int:
        say(f"reply {response.last_mutation_id}")
        threading.Event().wait()  # until kill -9
        return 0


def sync(store: Store, url: str | None, attempts: int, read: float) -> None:
    """One sync_once, tolerant of failures (they are the point of these tests)."""
    policy = RetryPolicy(max_attempts=attempts, base_delay=0.1, max_delay=1.0)
    timeout = httpx.Timeout(5.0, read=read)
    client = httpx.Client(base_url=url or store.profile.server_url, timeout=timeout)
    try:
        report = sync_once(store, client=client, policy=policy, batch_size=7)
        say(f"synced {report.accepted} {store.pending_count()}")
    except SyncError as exc:
        say(f"failed {exc.code}")
    finally:
        client.close()


def main() -> None:
    """Run one mode until done (or killed)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["save-loop", "hang-after-reply", "work"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--village", default="")
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=5)
    parser.add_argument("--shared", type=int, default=0)
    parser.add_argument("--url", default=None)
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    args = parser.parse_args()
    citizens = Citizens(args.worker, args.shared)
    if args.mode == "hang-after-reply":
        store: Store = HangingStore(args.db)
        sync(store, args.url, attempts=3, read=10.0)
        return
    store = Store(args.db)
    if args.mode == "save-loop":
        while True:
            saved = store.save_entries([entry(args.village, citizens)])
            say(f"saved {saved[0].entry_id}")
    for _ in range(args.rounds):
        for item in store.save_entries(
            [entry(args.village, citizens) for _ in range(args.per_round)]
        ):
            say(f"saved {item.entry_id}")
        sync(store, args.url, attempts=4, read=5.0)
    deadline = datetime.now(UTC) + timedelta(seconds=args.drain_seconds)
    while store.pending_count() and datetime.now(UTC) < deadline:
        sync(store, args.url, attempts=8, read=5.0)
    sync(store, args.url, attempts=8, read=5.0)  # and pull what the others changed
    say("drained" if store.pending_count() == 0 else f"stuck {store.pending_count()}")
    store.close()


if __name__ == "__main__":
    main()
