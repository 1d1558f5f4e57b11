"""What the coordinator's pages need: volunteers' details, laptops' last sync, audit by unit.

Volunteers get a phone and a deactivation time (their Youth Union flag comes with
0004_campaign_figures); devices remember when they
last synced (push or pull) so a commune can see stale laptops; audit rows name the unit they
concern so a coordinator's audit page reads one commune's rows by index; and entries get an
index for a commune's review queue (waiting entries, newest first).

Revision ID: 0005_staff_pages
Revises: 0004_campaign_figures
Create Date: 2026-12-06 13:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_staff_pages"
down_revision: str | None = "0004_campaign_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (plain ADD/DROP COLUMN: SQLite ≥ 3.35 has both, no table rebuild)."""
    op.add_column("users", sa.Column("phone", sa.String(length=20), nullable=True))
    op.add_column("users", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("devices", sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("audit_log", sa.Column("unit_code", sa.String(length=20), nullable=True))
    op.create_index("ix_audit_log_unit_at", "audit_log", ["unit_code", "at"], unique=False)
    op.create_index(
        "ix_entries_commune_review",
        "entries",
        ["commune_code", "review_status", "assisted_at"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_entries_commune_review", table_name="entries")
    op.drop_index("ix_audit_log_unit_at", table_name="audit_log")
    op.drop_column("audit_log", "unit_code")
    op.drop_column("devices", "last_sync_at")
    for column in ("deactivated_at", "phone"):
        op.drop_column("users", column)
