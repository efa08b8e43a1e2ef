"""Sales workspace: where a sign-in link leads, and sign-in links found by address

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_link") as batch_op:
        batch_op.add_column(
            sa.Column("next_path", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_sign_in_link_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_link") as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_link_email"))
        batch_op.drop_column("next_path")
