"""the read model: leads, events, mail, reps, handoffs, SLA, tracking

Revision ID: 0001
Revises:
Create Date: 2026-11-24 17:35:44.608765
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import nurture.tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "lead",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("company", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("job_title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("industry", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("company_size", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scenario", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_breakdown", sa.JSON(), nullable=True),
        sa.Column("score_version", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("unsubscribed_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bounced_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_email"), ["email"], unique=True)
        batch_op.create_index(batch_op.f("ix_lead_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_stage"), ["stage"], unique=False)

    op.create_table(
        "rep",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("manager_email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("territories", sa.JSON(), nullable=True),
        sa.Column("industries", sa.JSON(), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("away_until", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("assigned_count", sa.Integer(), nullable=False),
        sa.Column("last_assigned_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rep_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "email_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scenario", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tracking_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scheduled_at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_key"),
    )
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_message_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_email_message_tracking_id"), ["tracking_id"], unique=False
        )

    op.create_table(
        "handoff",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reassignments", sa.Integer(), nullable=False),
        sa.Column("created_at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", nurture.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["rep.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_rep_id"), ["rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_status"), ["status"], unique=False)

    op.create_table(
        "lead_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("occurred_at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("score_after", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id", "event_id"),
    )
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_event_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_event_type"), ["type"], unique=False)

    op.create_table(
        "rep_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["rep.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handoff_id", "attempt"),
    )
    with op.batch_alter_table("rep_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rep_assignment_handoff_id"), ["handoff_id"], unique=False
        )

    op.create_table(
        "score_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("score_after", sa.Integer(), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("score_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_change_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "sla_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("rep_id", sa.Uuid(), nullable=True),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sla_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_event_event"), ["event"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_event_handoff_id"), ["handoff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_event_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("to_stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_change_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stage_change_to_stage"), ["to_stage"], unique=False)

    op.create_table(
        "timeline_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timeline_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timeline_note_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "tracking_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("tracking_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("at", nurture.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tracking_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_hit_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tracking_hit_tracking_id"), ["tracking_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("tracking_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_hit_tracking_id"))
        batch_op.drop_index(batch_op.f("ix_tracking_hit_lead_id"))

    op.drop_table("tracking_hit")
    with op.batch_alter_table("timeline_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timeline_note_lead_id"))

    op.drop_table("timeline_note")
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_change_to_stage"))
        batch_op.drop_index(batch_op.f("ix_stage_change_lead_id"))

    op.drop_table("stage_change")
    with op.batch_alter_table("sla_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_event_lead_id"))
        batch_op.drop_index(batch_op.f("ix_sla_event_handoff_id"))
        batch_op.drop_index(batch_op.f("ix_sla_event_event"))

    op.drop_table("sla_event")
    with op.batch_alter_table("score_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_change_lead_id"))

    op.drop_table("score_change")
    with op.batch_alter_table("rep_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rep_assignment_handoff_id"))

    op.drop_table("rep_assignment")
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_event_type"))
        batch_op.drop_index(batch_op.f("ix_lead_event_lead_id"))

    op.drop_table("lead_event")
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_status"))
        batch_op.drop_index(batch_op.f("ix_handoff_rep_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_lead_id"))

    op.drop_table("handoff")
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_message_tracking_id"))
        batch_op.drop_index(batch_op.f("ix_email_message_lead_id"))

    op.drop_table("email_message")
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rep_token_hash"))

    op.drop_table("rep")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_stage"))
        batch_op.drop_index(batch_op.f("ix_lead_source"))
        batch_op.drop_index(batch_op.f("ix_lead_email"))
        batch_op.drop_index(batch_op.f("ix_lead_created_at"))

    op.drop_table("lead")
