"""Sales workspace: one-time sign-in links and browser sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from nurture.tables import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(name: str, last: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, unique=True
        ),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column(last, UTCDateTime(), nullable=True),
    )


def upgrade() -> None:
    _table("sign_in_link", "used_at")
    _table("rep_session", "ended_at")


def downgrade() -> None:
    op.drop_table("rep_session")
    op.drop_table("sign_in_link")
