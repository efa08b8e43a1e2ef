"""Campaigns: a cost not recorded is unknown (NULL), not free; KPIs show "–" for it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep their cost: it was required until now, so a 0 was entered as free.
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column(
            "cost", existing_type=sa.Numeric(14, 2), nullable=True, server_default=None
        )


def downgrade() -> None:
    op.execute("UPDATE campaign SET cost = 0 WHERE cost IS NULL")
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column("cost", existing_type=sa.Numeric(14, 2), nullable=False)
