"""What the campaign report needs: quotas per target group, a target share, Youth Union members.

Quotas gain a target group (`all`, `youth`, `non_youth`) in their primary key, every existing
quota becoming the `all` one; the target share of portal accounts with a real transaction gets
a table of its own (unit × period), and so do the official systems' counts the report sets
beside ours (unit × period × figure); users get the Youth Union flag (the staff pages add the
same column, so it is added here only when missing).

Revision ID: 0004_campaign_figures
Revises: 0003_web_signin
Create Date: 2026-12-06 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_campaign_figures"
down_revision: str | None = "0003_web_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("quotas", recreate="auto") as batch:
        batch.add_column(
            sa.Column("target_group", sa.String(length=10), nullable=False, server_default="all")
        )
        batch.drop_constraint("pk_quotas", type_="primary")
        batch.create_primary_key("pk_quotas", ["unit_code", "service", "period", "target_group"])
    op.create_table(
        "transaction_targets",
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_transaction_targets_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("unit_code", "period", name=op.f("pk_transaction_targets")),
    )
    op.create_table(
        "official_counts",
        sa.Column("unit_code", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_official_counts_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("unit_code", "period", "figure", name=op.f("pk_official_counts")),
    )
    if not _has_column("users", "youth_union"):
        op.add_column(
            "users",
            sa.Column("youth_union", sa.Boolean(), nullable=False, server_default=sa.false()),
        )


def downgrade() -> None:
    """Revert this revision (group quotas other than `all` are dropped)."""
    op.drop_table("official_counts")
    op.drop_table("transaction_targets")
    op.execute(sa.text("DELETE FROM quotas WHERE target_group <> 'all'"))
    with op.batch_alter_table("quotas", recreate="auto") as batch:
        batch.drop_constraint("pk_quotas", type_="primary")
        batch.create_primary_key("pk_quotas", ["unit_code", "service", "period"])
        batch.drop_column("target_group")
