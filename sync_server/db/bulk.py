"""Bulk writes at driver speed: a bare executemany on SQLite, insertmanyvalues elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from sync_server.db.models import UTCDateTime


def sqlite_datetime(value: datetime) -> str:
    """An aware datetime in the text form UTCDateTime stores on SQLite."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@cache
def _datetime_columns(table: Table) -> frozenset[str]:
    """Columns stored through UTCDateTime."""
    return frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))


def _sqlite_rows(table: Table, columns: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
    """Rows as tuples in column order, datetimes as SQLite text."""
    stamps = _datetime_columns(table)
    if not stamps.intersection(columns):
        return [tuple(r[c] for c in columns) for r in rows]
    convert = [c in stamps for c in columns]
    return [
        tuple(
            sqlite_datetime(r[c]) if flag and r[c] is not None else r[c]
            for c, flag in zip(columns, convert, strict=True)
        )
        for r in rows
    ]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) as one executemany."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
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
    if connection.dialect.name != "sqlite":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
        result = connection.execute(stmt.returning(*(table.c[n] for n in returning)), rows)
        return [tuple(r) for r in result]
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    one = "(" + ", ".join("?" for _ in columns) + ")"
    back = ", ".join(f'"{c}"' for c in returning)
    claimed: list[tuple[Any, ...]] = []
    tuples = _sqlite_rows(table, columns, rows)
    per_statement = max(1, 30_000 // len(columns))
    for start in range(0, len(tuples), per_statement):
        chunk = tuples[start : start + per_statement]
        values = ", ".join([one] * len(chunk))
        sql = (
            f'INSERT INTO "{table.name}" ({names}) VALUES {values} '
            f"ON CONFLICT DO NOTHING RETURNING {back}"
        )
        params = tuple(v for row in chunk for v in row)
        claimed.extend(tuple(r) for r in connection.exec_driver_sql(sql, params))
    return claimed
