"""Audited review pages read in a read transaction and write their audit in a short one.

Rendering a page or reading its entries inside a write transaction held SQLite's write lock
(and laptops' pushes) for the whole page; only the audit INSERT needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_factories import COMMUNE_A, World
from commune_world import campaign
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from web_helpers import sign_in, staff


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs in the block, with "COMMIT"/"ROLLBACK" marks."""
    seen: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    def committed(_conn: Any) -> None:
        seen.append("COMMIT")

    def rolled_back(_conn: Any) -> None:
        seen.append("ROLLBACK")

    hooks = [
        ("before_cursor_execute", executed),
        ("commit", committed),
        ("rollback", rolled_back),
    ]
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        yield seen
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)


def write_transactions(seen: list[str]) -> list[list[str]]:
    """The statements of each BEGIN IMMEDIATE transaction."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for statement in seen:
        if statement == "BEGIN IMMEDIATE":
            current = []
            found.append(current)
        elif statement in ("COMMIT", "ROLLBACK") or statement == "BEGIN":
            current = None
        elif current is not None:
            current.append(statement)
    return found


def _audit_transaction(seen: list[str]) -> list[str]:
    [audit] = [t for t in write_transactions(seen) if any("audit_log" in s for s in t)]
    return audit


def test_the_queue_writes_only_its_audit_under_the_write_lock(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    client.get(f"/review?unit={COMMUNE_A}")  # the session's last-seen write settles first
    with statements() as seen:
        page = client.get(f"/review?unit={COMMUNE_A}")
    assert page.status_code == 200
    audit = _audit_transaction(seen)
    assert audit and all(s.startswith("INSERT INTO audit_log") for s in audit), audit


def test_one_entry_writes_only_its_audit_under_the_write_lock(
    client: TestClient, world: World
) -> None:
    campaign(client, world)
    staff(world, "coordinator", COMMUNE_A, "Phạm Thị Dung", login="dung")
    sign_in(client, "dung")
    queue = client.get(f"/review?unit={COMMUNE_A}")
    entry_id = re.findall(r'<tr data-entry-id="([^"]+)">', queue.text)[0]
    with statements() as seen:
        page = client.get(f"/review/entries/{entry_id}?unit={COMMUNE_A}")
    assert page.status_code == 200 and entry_id in page.text
    audit = _audit_transaction(seen)
    assert audit and all(s.startswith("INSERT INTO audit_log") for s in audit), audit
