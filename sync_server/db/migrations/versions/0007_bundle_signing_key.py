"""Bundles signed by the laptop: each device's public key, each entry's last mutation.

`devices.public_key` holds the Ed25519 key a laptop signs its bundles with (the server can
verify, never sign). `entries.mutation_id` names the device mutation that last wrote the row,
so a mutation id sent again with other content is told apart from an honest resend.

Revision ID: 0007_bundle_signing_key
Revises: 0005_staff_pages
Create Date: 2026-12-06 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_bundle_signing_key"
down_revision: str | None = "0006_sign_in_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision (a column already there, e.g. after a stamp back, is kept)."""
    inspector = sa.inspect(op.get_bind())
    for table, column in (
        ("devices", sa.Column("public_key", sa.String(length=64), nullable=True)),
        ("entries", sa.Column("mutation_id", sa.BigInteger(), nullable=True)),
    ):
        if column.name not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, column)


def downgrade() -> None:
    """Revert this revision.

    Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of `entries` would lose
    the counting index, whose expression it cannot copy.
    """
    op.execute("ALTER TABLE entries DROP COLUMN mutation_id")
    op.execute("ALTER TABLE devices DROP COLUMN public_key")
