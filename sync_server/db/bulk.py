"""Bulk writes at driver speed: a bare executemany on SQLite, COPY and unnest() on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Integer, Table, insert
from sqlalchemy.dialects import postgresql
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


def _sqlite_rows(table: Table, columns: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
    """Rows as parameter sequences in column order, datetimes as SQLite text."""
    getter = itemgetter(*columns)
    if len(columns) == 1:
        return [(getter(r),) for r in rows]
    stamps = _datetime_columns(table)
    where = [i for i, c in enumerate(columns) if c in stamps]
    if not where:
        return [getter(r) for r in rows]
    texts: dict[datetime, str] = {}
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


def _pg_array_type(table: Table, column: str) -> str:
    """The PostgreSQL array type unnest() needs for a column."""
    kind = table.c[column].type
    if isinstance(kind, UTCDateTime):
        return "timestamptz[]"
    if isinstance(kind, Boolean):
        return "boolean[]"
    if isinstance(kind, Integer):
        return "bigint[]"
    return "text[]"


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
    connection.exec_driver_sql(sql, _sqlite_rows(table, columns, rows))


def claim_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the rows this transaction did insert."""
    if not rows:
        return []
    connection = session.connection()
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    back = ", ".join(f'"{c}"' for c in returning)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%({c})s::{_pg_array_type(table, c)}" for c in columns)
        sql = (
            f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) '
            f"ON CONFLICT DO NOTHING RETURNING {back}"
        )
        arrays_in = {c: [r[c] for r in rows] for c in columns}
        return [tuple(r) for r in connection.exec_driver_sql(sql, arrays_in)]
    if connection.dialect.name != "sqlite":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
        result = connection.execute(stmt.returning(*(table.c[n] for n in returning)), rows)
        return [tuple(r) for r in result]
    # SQLite has one writer at a time (BEGIN IMMEDIATE), so look, then insert what is free:
    # a plain executemany is much cheaper than one huge INSERT … RETURNING statement.
    key = [c.name for c in table.primary_key.columns]
    taken = set(_existing_keys(connection, table, key, [tuple(r[c] for c in key) for r in rows]))
    free = [r for r in rows if tuple(r[c] for c in key) not in taken]
    if free:
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        connection.exec_driver_sql(sql, _sqlite_rows(table, columns, free))
    return [tuple(r[c] for c in returning) for r in free]


def _existing_keys(
    connection: Any, table: Table, key: list[str], wanted: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Which of these primary keys the table holds (SQLite; looked up by the first column)."""
    first = sorted({k[0] for k in wanted})
    wanted_set = set(wanted)
    names = ", ".join(f'"{c}"' for c in key)
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(first), SQLITE_IN_CHUNK):
        chunk = first[start : start + SQLITE_IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        sql = f'SELECT {names} FROM "{table.name}" WHERE "{key[0]}" IN ({marks})'
        found.extend(r for r in map(tuple, connection.exec_driver_sql(sql, tuple(chunk))))
    return [k for k in found if k in wanted_set]


def existing_ids(session: Session, table: Table, column: str, values: list[Any]) -> set[Any]:
    """Which of `values` the column holds (one indexed IN query per chunk, no ORM compiling)."""
    connection = session.connection()
    found: set[Any] = set()
    if not values:
        return found
    if connection.dialect.name == "postgresql":
        sql = f'SELECT "{column}" FROM "{table.name}" WHERE "{column}" = ANY(%(values)s)'
        found.update(r[0] for r in connection.exec_driver_sql(sql, {"values": list(values)}))
        return found
    for start in range(0, len(values), SQLITE_IN_CHUNK):
        chunk = values[start : start + SQLITE_IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        sql = f'SELECT "{column}" FROM "{table.name}" WHERE "{column}" IN ({marks})'
        found.update(r[0] for r in connection.exec_driver_sql(sql, tuple(chunk)))
    return found
