"""Sign-in limits: failed-attempt counters, enrollment-code expiry and revocation.

Users' deactivated_at comes from 0005_staff_pages.

Open enrollment codes made before this revision expire seven days after they were made (the
default lifetime), so a forgotten code from last year no longer enrolls a laptop.

Revision ID: 0006_sign_in_limits
Revises: 0005_staff_pages
Create Date: 2026-12-06 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sign_in_limits"
down_revision: str | None = "0005_staff_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CODE_LIFETIME = timedelta(days=7)


def _moment() -> sa.types.TypeEngine[object]:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sign_in_attempts",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", _moment(), nullable=False),
        sa.Column("last_failed_at", _moment(), nullable=False),
        sa.Column("locked_until", _moment(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("enrollment_codes") as batch:
        batch.add_column(sa.Column("expires_at", _moment(), nullable=True))
        batch.add_column(sa.Column("revoked_at", _moment(), nullable=True))
    codes = sa.table(
        "enrollment_codes",
        sa.column("code_hash", sa.String()),
        sa.column("created_at", _moment()),
        sa.column("expires_at", _moment()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(codes.c.code_hash, codes.c.created_at)).all()
    for code_hash, created_at in rows:
        bind.execute(
            codes.update()
            .where(codes.c.code_hash == code_hash)
            .values(expires_at=created_at + DEFAULT_CODE_LIFETIME)
        )


def downgrade() -> None:
    """Revert this revision."""
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of `users` would have to
    # drop a table other tables' foreign keys point at.
    for table, column in (
        ("enrollment_codes", "revoked_at"),
        ("enrollment_codes", "expires_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("sign_in_attempts")
