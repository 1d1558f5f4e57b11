"""Masked identity numbers keep only their last three digits.

The masks stored before showed the first three digits too (the birth province), and the
century/sex and birth-year digits follow from the entry's other fields: together they left
about a thousand candidates per number. Entries and the entry versions kept in conflicts are
rewritten to `•••••••••123`, as fieldkit.domain.mask_id_number now makes them.

Revision ID: 0003_three_digit_masks
Revises: 0002
Create Date: 2026-12-06 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_three_digit_masks"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MASK = "•"
HIDDEN = MASK * 9

conflicts = sa.table("conflicts", sa.column("id", sa.Integer), sa.column("data", sa.JSON))


def _short(value: object) -> object:
    if isinstance(value, str) and MASK in value and len(value) == 12:
        return HIDDEN + value[-3:]
    return value


def upgrade() -> None:
    """Apply this revision."""
    op.execute(
        sa.text(
            "UPDATE entries SET id_masked = :hidden || substr(id_masked, 10, 3) "
            "WHERE length(id_masked) = 12 AND substr(id_masked, 1, 9) <> :hidden"
        ).bindparams(hidden=HIDDEN)
    )
    bind = op.get_bind()
    for row_id, data in bind.execute(sa.select(conflicts.c.id, conflicts.c.data)).all():
        if isinstance(data, dict) and _short(data.get("id_number")) != data.get("id_number"):
            changed = data | {"id_number": _short(data["id_number"])}
            bind.execute(conflicts.update().where(conflicts.c.id == row_id).values(data=changed))


def downgrade() -> None:
    """The digits a mask dropped are gone: nothing to restore."""
