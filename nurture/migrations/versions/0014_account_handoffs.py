"""Accounts handed to sales as a whole (a ready buying group), once

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from nurture.tables import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("leads", sa.JSON(), nullable=True),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_handoff_account_id", "account_handoff", ["account_id"])
    op.create_index("ix_account_handoff_lead_id", "account_handoff", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_account_handoff_lead_id", table_name="account_handoff")
    op.drop_index("ix_account_handoff_account_id", table_name="account_handoff")
    op.drop_table("account_handoff")
