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
        EntryQuery(filter=EntryFilter.REJECTED),
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
