"""Touches for multi-touch attribution, filled from the leads' sources and events so far

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from nurture.rules.touches import campaign_of, intake_ref
from nurture.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    touch = op.create_table(
        "touch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("lead.id"), nullable=False),
        sa.Column("campaign", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.UniqueConstraint("lead_id", "ref"),
    )
    op.create_index(op.f("ix_touch_lead_id"), "touch", ["lead_id"])
    op.create_index(op.f("ix_touch_campaign"), "touch", ["campaign"])
    bind = op.get_bind()
    leads = sa.table(
        "lead",
        sa.column("id", sa.Uuid()),
        sa.column("source", sa.String()),
        sa.column("created_at", UTCDateTime()),
    )
    rows = [
        {
            "lead_id": lead_id,
            "campaign": source[:100],
            "kind": "intake",
            "at": created_at,
            "ref": intake_ref(source),
        }
        for lead_id, source, created_at in bind.execute(
            sa.select(leads).where(leads.c.source != "")
        )
    ]
    events = sa.table(
        "lead_event",
        sa.column("lead_id", sa.Uuid()),
        sa.column("event_id", sa.String()),
        sa.column("type", sa.String()),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("properties", sa.JSON()),
    )
    for lead_id, event_id, kind, at, properties in bind.execute(sa.select(events)):
        campaign = campaign_of(kind, properties or {})
        if campaign:
            rows.append(
                {"lead_id": lead_id, "campaign": campaign, "kind": kind, "at": at, "ref": event_id}
            )
    if rows:
        op.bulk_insert(touch, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_touch_campaign"), table_name="touch")
    op.drop_index(op.f("ix_touch_lead_id"), table_name="touch")
    op.drop_table("touch")
