"""The list queries stay fast at 100,000 entries because every page is read through an index."""

from __future__ import annotations

import pytest
from fieldkit_store_helpers import make_entry
from sqlalchemy.dialects import sqlite

from fieldkit.store import EntryFilter, EntryQuery, Store
from fieldkit.store.entries import page_statement


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
