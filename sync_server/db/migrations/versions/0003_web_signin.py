"""Staff sign in to the web app: login names, one-time passwords and server-side sessions.

Existing users get a login derived from their name (diacritics dropped, a number added when
two names collide), so every staff member can sign in by name as soon as this runs.

Revision ID: 0003_web_signin
Revises: 0003_three_digit_masks
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sync_server.services.logins import derive_login

revision: str = "0003_web_signin"
down_revision: str | None = "0003_three_digit_masks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD COLUMN and a unique index: no table rebuild, so SQLite never drops `users`
    # (which devices, teams' members and reviews point at).
    op.add_column("users", sa.Column("login", sa.String(length=60), nullable=True))
    op.add_column(
        "users",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("name"), sa.column("login"))
    taken: set[str] = set()
    for user_id, name in connection.execute(sa.select(users.c.id, users.c.name).order_by("id")):
        login = derive_login(name, taken)
        taken.add(login)
        connection.execute(users.update().where(users.c.id == user_id).values(login=login))
    op.create_index("ux_users_login", "users", ["login"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ux_users_login", table_name="users")
    # SQLite (3.35+) drops a column in place when nothing indexes it; no table rebuild.
    op.execute("ALTER TABLE users DROP COLUMN must_change_password")
    op.execute("ALTER TABLE users DROP COLUMN login")
