"""Accounts: the leads of one company (by its registrable domain)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00

Leads stored before this have no account until `nurture accounts backfill` gives them
theirs (the scoring model says which addresses are business ones; a migration does not
read it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from nurture.tables import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain"),
    )
    op.add_column("lead", sa.Column("account_id", sa.Uuid(), nullable=True))
    op.create_index("ix_lead_account_id", "lead", ["account_id"])
    # No foreign key: SQLite adds no constraint to a table in place, and rebuilding the
    # lead table (a batch operation) fails on a database with data, since every other table
    # references it. nurture.repo.accounts.join writes the account before the lead names it.


def downgrade() -> None:
    op.drop_index("ix_lead_account_id", table_name="lead")
    with op.batch_alter_table("lead") as batch_op:
        batch_op.drop_column("account_id")
    op.drop_table("account")
