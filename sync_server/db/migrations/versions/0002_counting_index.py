"""Dedupe on the entries themselves: a unique index replaces the `counted` table.

At most one success counts a citizen for a service in a period. The `counted` table kept that
rule as a second copy of each counting entry's key; a partial unique index over
(citizen_key, service, period, CASE WHEN counted THEN 1 END) keeps it on the entries, and the
same index finds a group's successes (what ix_entries_citizen did). One random-key B-tree
fewer is written for every counted entry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUCCESS = sa.text("outcome = 'success'")


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ux_entries_counting",
        "entries",
        ["citizen_key", "service", "period", sa.text("(CASE WHEN counted THEN 1 END)")],
        unique=True,
        sqlite_where=SUCCESS,
        postgresql_where=SUCCESS,
    )
    op.drop_index(
        "ix_entries_citizen", table_name="entries", sqlite_where=SUCCESS, postgresql_where=SUCCESS
    )
    op.drop_table("counted")


def downgrade() -> None:
    """Revert this revision."""
    op.create_table(
        "counted",
        sa.Column("citizen_key", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("assisted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("citizen_key", "service", "period", name=op.f("pk_counted")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO counted (citizen_key, service, period, entry_id, assisted_at) "
        "SELECT citizen_key, service, period, id, assisted_at FROM entries WHERE counted"
    )
    op.create_index(
        "ix_entries_citizen",
        "entries",
        ["citizen_key", "service", "period"],
        unique=False,
        sqlite_where=SUCCESS,
        postgresql_where=SUCCESS,
    )
    op.drop_index("ux_entries_counting", table_name="entries")
