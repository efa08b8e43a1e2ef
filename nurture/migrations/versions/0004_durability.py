"""Durability: send fates in the outbox, lead workflow state, parked events, heartbeats

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from nurture.tables import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("email_message") as batch:
        batch.add_column(sa.Column("sending_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column(
                "last_error",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(sa.Column("held_since", UTCDateTime(), nullable=True))
        batch.create_index("ix_email_message_status", ["status"])
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("workflow_started_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("halted", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
        batch.add_column(sa.Column("halted_at", UTCDateTime(), nullable=True))
    # Leads that moved past `new` were started by an earlier version: their workflow exists.
    op.execute("UPDATE lead SET workflow_started_at = created_at WHERE stage <> 'new'")
    op.create_table(
        "parked_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("lead.id"), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.Column("parked_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("lead_id", "event_id"),
    )
    op.create_index("ix_parked_event_lead_id", "parked_event", ["lead_id"])
    op.create_table(
        "service_heartbeat",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("service_heartbeat")
    op.drop_index("ix_parked_event_lead_id", table_name="parked_event")
    op.drop_table("parked_event")
    with op.batch_alter_table("lead") as batch:
        batch.drop_column("halted_at")
        batch.drop_column("halted")
        batch.drop_column("workflow_started_at")
    with op.batch_alter_table("email_message") as batch:
        batch.drop_index("ix_email_message_status")
        batch.drop_column("held_since")
        batch.drop_column("last_error")
        batch.drop_column("attempts")
        batch.drop_column("sending_at")
