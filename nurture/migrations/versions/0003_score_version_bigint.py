"""score_version holds (run, history length, sequence): 64 bits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.alter_column(
            "score_version", existing_type=sa.Integer(), type_=sa.BigInteger(), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.alter_column(
            "score_version", existing_type=sa.BigInteger(), type_=sa.Integer(), nullable=False
        )
