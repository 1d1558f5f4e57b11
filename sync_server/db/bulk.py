"""Bulk writes at driver speed: a bare executemany on SQLite, COPY on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from sync_server.db.models import UTCDateTime

SQLITE_IN_CHUNK = 900
"""Parameters per IN list (old SQLite builds allow 999 per statement)."""


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime in the text form UTCDateTime stores on SQLite."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@cache
def _datetime_columns(table: Table) -> frozenset[str]:
    """Columns stored through UTCDateTime."""
    return frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))


def sqlite_params(
    table: Table,
    columns: Sequence[str],
    rows: list[dict[str, Any]],
    texts: dict[datetime, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Rows as SQLite parameter tuples in column order, datetimes as SQLite text.

    `texts` may hold datetimes already turned into their text (it gains the ones made here).
    """
    getter = itemgetter(*columns)
    if len(columns) == 1:
        return [(getter(r),) for r in rows]
    stamps = _datetime_columns(table)
    where = [i for i, c in enumerate(columns) if c in stamps]
    if not where:
        return [getter(r) for r in rows]
    if texts is None:
        texts = {}
    out: list[Any] = []
    for r in rows:
        values = list(getter(r))
        for i in where:
            value = values[i]
            if value is not None:
                text = texts.get(value)
                if text is None:
                    text = texts[value] = sqlite_datetime(value)
                values[i] = text
        out.append(tuple(values))
    return out


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) as one executemany (COPY on PostgreSQL)."""
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0])
    if connection.dialect.name == "postgresql":
        names = ", ".join(f'"{c}"' for c in columns)
        driver = connection.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for r in rows:
                copy.write_row(tuple(r[c] for c in columns))
        return
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    connection.exec_driver_sql(sql, sqlite_params(table, columns, rows))


def insert_params(
    session: Session, table: Table, columns: Sequence[str], params: list[tuple[Any, ...]]
) -> None:
    """INSERT rows already turned into SQLite parameters (see sqlite_params) as one executemany."""
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    session.connection().exec_driver_sql(sql, params)


def add_to_counts(
    session: Session,
    table: Table,
    keys: Sequence[str],
    counts: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Add each row's counts to the stored ones (a new key starts from them), one executemany.

    `rows` are plain tuples, key columns then count columns. INSERT … ON CONFLICT DO UPDATE
    reads the same on SQLite and PostgreSQL; sent as driver SQL, nothing is compiled per row
    (a push adds a hundred or more rows of counts, and SQLAlchemy's per-row parameter
    processing cost more than the database's work).
    """
    if not rows:
        return
    connection = session.connection()
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    names = ", ".join(f'"{c}"' for c in (*keys, *counts))
    marks = ", ".join(mark for _ in range(len(keys) + len(counts)))
    conflict = ", ".join(f'"{c}"' for c in keys)
    adding = ", ".join(f'"{c}" = "{table.name}"."{c}" + excluded."{c}"' for c in counts)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}) '
        f"ON CONFLICT ({conflict}) DO UPDATE SET {adding}"
    )
    connection.exec_driver_sql(sql, rows)


def rows_where_in(
    session: Session,
    table: Table,
    columns: Sequence[str],
    column: str,
    values: Sequence[Any],
    where: str = "",
) -> list[tuple[Any, ...]]:
    """`columns` of the rows whose `column` is one of `values` (and `where`, plain SQL).

    One indexed query per chunk of values, sent as driver SQL: built by SQLAlchemy, an IN
    list of hundreds of values is coerced and cache-keyed value by value on every call, which
    cost more than the query. Values come back as the driver gives them (booleans as 0/1 on
    SQLite, datetimes as text there).
    """
    if not values:
        return []
    connection = session.connection()
    names = ", ".join(f'"{c}"' for c in columns)
    extra = f" AND {where}" if where else ""
    head = f'SELECT {names} FROM "{table.name}" WHERE "{column}"'
    if connection.dialect.name == "postgresql":
        sql = f"{head} = ANY(%(values)s){extra}"
        return [tuple(r) for r in connection.exec_driver_sql(sql, {"values": list(values)})]
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), SQLITE_IN_CHUNK):
        chunk = tuple(values[start : start + SQLITE_IN_CHUNK])
        marks = ", ".join("?" for _ in chunk)
        rows = connection.exec_driver_sql(f"{head} IN ({marks}){extra}", chunk)
        found.extend(tuple(r) for r in rows)
    return found


def existing_ids(session: Session, table: Table, column: str, values: list[Any]) -> set[Any]:
    """Which of `values` the column holds."""
    return {row[0] for row in rows_where_in(session, table, (column,), column, values)}
