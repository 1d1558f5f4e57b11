"""Kept counts of people: distinct citizens helped and accounts with a real transaction.

`citizen_tallies` holds, per unit and period, the distinct citizens with an entry there that
is not rejected and the counted portal accounts there whose citizen has a counted real
transaction in the period, kept in the same transaction as every write as `tallies` is. It is
filled here from the entries already stored. Entries get an index on (citizen_key, period):
a write re-reads the entries of the citizens it touches, whatever their outcome.

Revision ID: 0009_citizen_tallies
Revises: 0008_week_tallies
Create Date: 2026-12-06 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_citizen_tallies"
down_revision: str | None = "0008_week_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEVELS = ("village_code", "commune_code", "province_code")
_HELPED = (
    "SELECT {unit} AS unit_code, period, COUNT(DISTINCT citizen_key) AS helped, "
    "0 AS transacting FROM entries WHERE review_status <> 'rejected' GROUP BY {unit}, period"
)
_TRANSACTING = (
    "SELECT a.{unit} AS unit_code, a.period, 0 AS helped, COUNT(*) AS transacting "
    "FROM entries a WHERE a.service = 'dvc_account' AND a.outcome = 'success' AND a.counted "
    "AND EXISTS (SELECT 1 FROM entries t WHERE t.citizen_key = a.citizen_key "
    "AND t.period = a.period AND t.service = 'dvc_transaction' AND t.outcome = 'success' "
    "AND t.counted) GROUP BY a.{unit}, a.period"
)


def upgrade() -> None:
    """Apply this revision: the table, the index, and the counts of the entries stored."""
    op.create_table(
        "citizen_tallies",
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("helped", sa.Integer(), nullable=False),
        sa.Column("transacting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "period", name=op.f("pk_citizen_tallies")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_entries_citizen_period", "entries", ["citizen_key", "period"], unique=False)
    parts = [_HELPED.format(unit=u) for u in _LEVELS]
    parts += [_TRANSACTING.format(unit=u) for u in _LEVELS]
    op.execute(
        "INSERT INTO citizen_tallies (unit_code, period, helped, transacting) "
        "SELECT unit_code, period, SUM(helped), SUM(transacting) FROM ("
        + " UNION ALL ".join(parts)
        + ") AS figures GROUP BY unit_code, period"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_entries_citizen_period", table_name="entries")
    op.drop_table("citizen_tallies")
