"""The list queries stay fast at 100,000 entries because every page is read through an index."""

from __future__ import annotations

from typing import Any

import pytest
from fieldkit_store_helpers import id_number_for, make_entry
from sqlalchemy import event
from sqlalchemy.dialects import sqlite

from fieldkit.store import EntryFilter, EntryQuery, Store
from fieldkit.store.entries import page_statement
from fieldkit.store.store import SCHEMA_VERSION


def plan(store: Store, query: EntryQuery) -> list[str]:
    sql = str(
        page_statement(query).compile(
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
    )
    with store.engine.connect() as conn:
        return [str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]


@pytest.mark.parametrize(
    "query",
    [
        EntryQuery(),
        EntryQuery(offset=5000),
        EntryQuery(filter=EntryFilter.PENDING),
        EntryQuery(filter=EntryFilter.DUPLICATE),
        EntryQuery(filter=EntryFilter.TODAY),
        EntryQuery(search="nguyen van"),
    ],
)
def test_pages_are_read_in_index_order_without_sorting(store: Store, query: EntryQuery) -> None:
    store.save_entries([make_entry() for _ in range(20)])
    steps = plan(store, query)
    assert all("USING INDEX" in step or "USING COVERING INDEX" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


def test_returned_entries_are_read_through_their_indexes(store: Store) -> None:
    # Refused by the server or returned by a reviewer: two indexes, then a sort of the few found.
    store.save_entries([make_entry() for _ in range(20)])
    steps = plan(store, EntryQuery(filter=EntryFilter.REJECTED))
    assert steps[0] == "MULTI-INDEX OR", steps
    assert not any(step.startswith("SCAN") for step in steps), steps


def test_home_counts_read_indexes_not_every_entry(store: Store) -> None:
    # Home and `fieldkit status` count returned and follow-up entries on every refresh.
    store.save_entries([make_entry() for _ in range(20)])
    queries = [
        "SELECT count(*) FROM entries WHERE status = 'rejected'"
        " OR review_decision IN ('rejected', 'has_issues')",
        "SELECT count(*) FROM entries WHERE outcome = 'pending' AND erased = 0",
    ]
    with store.engine.connect() as conn:
        for sql in queries:
            steps = [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert not any(step.startswith("SCAN entries") for step in steps), steps


def test_citizens_helped_in_all_are_counted_off_their_index(store: Store) -> None:
    # Home reads the distinct citizens of every entry on each refresh: an index walk, not a sort
    # of 100,000 keys in a temporary b-tree (that was most of the wait from the PIN to home).
    store.save_entries([make_entry(id_number=id_number_for(i)) for i in range(10)])
    store.save_entries([make_entry(id_number=id_number_for(i)) for i in range(10)])
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        statements.append((sql, params))

    event.listen(store.reader, "before_cursor_execute", seen)
    try:
        helped = store.status().helped
    finally:
        event.remove(store.reader, "before_cursor_execute", seen)
    assert helped.citizens_total == 10 and helped.services_total == 20
    totals = [
        (sql, params)
        for sql, params in statements
        if "count(distinct" in sql.lower() and "where" not in sql.lower()
    ]
    assert totals, statements
    with store.engine.connect() as conn:
        for sql, params in totals:
            steps = [str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
            assert steps == ["SCAN entries USING INDEX ix_entries_citizen"], steps


def test_a_store_of_schema_3_gains_the_citizen_index(store: Store) -> None:
    store.save_entries([make_entry(id_number=id_number_for(i)) for i in range(3)])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_entries_citizen")
        conn.exec_driver_sql("PRAGMA user_version=3")
    store.close()
    with Store(store.path) as again, again.engine.connect() as conn:
        names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
        assert "ix_entries_citizen" in names
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION
        assert again.status().helped.citizens_total == 3
