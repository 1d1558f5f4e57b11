"""One citizen index for dedupe and the people counts: ux_entries_counting covers all outcomes.

0009 gave entries a second index on (citizen_key, period) so that a write could re-read the
entries of the citizens it touches, whatever their outcome. That is one more random-key B-tree
written for every entry, the cost 0002 removed (ingest's server CPU per entry rose by about a
fifth). Here the dedupe index covers every outcome instead of successes only, so its
citizen_key prefix finds all of a citizen's entries, and the second index goes. The rule it
keeps is unchanged: only successes are ever counted, so rows of other outcomes hold NULL in the
last column and never collide.

Revision ID: 0010_counting_index_all_outcomes
Revises: 0009_citizen_tallies
Create Date: 2026-12-06 17:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_counting_index_all_outcomes"
down_revision: str | None = "0009_citizen_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUCCESS = sa.text("outcome = 'success'")
COLUMNS = ["citizen_key", "service", "period", sa.text("(CASE WHEN counted THEN 1 END)")]


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ux_entries_counting", table_name="entries")
    op.create_index("ux_entries_counting", "entries", COLUMNS, unique=True)
    op.drop_index("ix_entries_citizen_period", table_name="entries")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_entries_citizen_period", "entries", ["citizen_key", "period"], unique=False)
    op.drop_index("ux_entries_counting", table_name="entries")
    op.create_index(
        "ux_entries_counting",
        "entries",
        COLUMNS,
        unique=True,
        sqlite_where=SUCCESS,
        postgresql_where=SUCCESS,
    )
