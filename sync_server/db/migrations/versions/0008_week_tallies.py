"""Counted entries per unit, service, period and week, kept with the tallies.

`week_tallies` holds, for every village, commune and province, how many counted entries were
assisted in each week (Monday to Sunday in Vietnam's time, named by its Monday), so the
province page's chart of entries per week reads a year's weeks instead of a province's
entries. Filled here from the entries already stored; kept from then on in the same
transaction as the tallies, and checked by `sync-server recount`.

Revision ID: 0008_week_tallies
Revises: 0007_bundle_signing_key
Create Date: 2026-12-06 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_week_tallies"
down_revision: str | None = "0007_bundle_signing_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEEK = {
    "postgresql": "to_char(date_trunc('week', timezone('Asia/Ho_Chi_Minh', assisted_at)), "
    "'YYYY-MM-DD')",
    "sqlite": "date(assisted_at, '+7 hours', '-6 days', 'weekday 1')",
}
"""services.weekly.week_sql, frozen as this revision knows it."""


def upgrade() -> None:
    """Create week_tallies and fill it from the counted entries, at all three levels."""
    bind = op.get_bind()
    if "week_tallies" in sa.inspect(bind).get_table_names():
        return
    op.create_table(
        "week_tallies",
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("achieved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "unit_code", "service", "period", "week", name=op.f("pk_week_tallies")
        ),
        sqlite_with_rowid=False,
    )
    week = WEEK["postgresql" if bind.dialect.name == "postgresql" else "sqlite"]
    for level in ("village_code", "commune_code", "province_code"):
        op.execute(
            "INSERT INTO week_tallies (unit_code, service, period, week, achieved) "
            f"SELECT {level}, service, period, {week}, count(*) FROM entries "
            f"WHERE counted GROUP BY {level}, service, period, {week}"
        )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("week_tallies")
