"""The read model: what the API, the timeline and later the KPIs read.

Workflows own the truth; these rows are written by activities so that lists,
timelines and KPIs never need to ask Temporal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class Account(SQLModel, table=True):
    """The leads of one company, by its registrable domain; the id derives from it."""

    id: uuid.UUID = Field(primary_key=True)
    domain: str = Field(unique=True, max_length=253)
    name: str = ""  # the company as the first lead of it gave it
    created_at: datetime = _ts(nullable=False)


class AccountHandoff(SQLModel, table=True):
    """An account handed to sales as a whole, once: by the lead whose engagement made its
    buying group ready, with the engaged people listed. Open until that lead's handoff
    ends (`outcome`); while open, or once won, the account is not handed again."""

    __tablename__ = "account_handoff"

    id: int | None = Field(default=None, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="account.id", index=True)
    lead_id: uuid.UUID = Field(index=True)  # the lead whose handoff carries the account
    leads: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # engaged, by id
    engagement: int = 0  # the account's engagement when it was handed over
    claimed_at: datetime = _ts(nullable=False)
    ended_at: datetime | None = _ts(nullable=True)
    outcome: str | None = Field(default=None, max_length=20)  # the handoff's end: won, ...


class Lead(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = ""
    company: str = ""
    job_title: str = ""
    industry: str = ""
    company_size: int | None = None
    source: str = Field(default="", index=True)
    scenario: str = ""
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    score: int = 0
    score_breakdown: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    # The score's two axes, written with it: the fit grade (A-D) of the attribute points and
    # the engagement (behaviour points). None: not scored yet (derive from the breakdown).
    fit_grade: str | None = Field(default=None, max_length=1, index=True)
    engagement: int | None = None
    # (workflow run, history length, sequence): a write from a workflow task that was
    # retried after newer events arrived never overwrites the retry's (see lead_records).
    score_version: int = Field(default=0, sa_column=Column(sa.BigInteger(), nullable=False))
    stage: str = Field(default="new", index=True)
    step: str | None = None
    rep_id: uuid.UUID | None = None
    # Set once the lead's workflow is known to exist; a row without it is reconciled by the
    # worker (an intake that stored the lead but could not reach Temporal).
    workflow_started_at: datetime | None = _ts(nullable=True)
    # Why the lead's workflow no longer runs: stopped (by `nurture leads stop`), or
    # terminated / canceled / failed / timed_out in Temporal. None while it runs.
    halted: str | None = Field(default=None, max_length=30)
    halted_at: datetime | None = _ts(nullable=True)
    unsubscribed_at: datetime | None = _ts(nullable=True)
    bounced_at: datetime | None = _ts(nullable=True)
    # The company's account (nurture.rules.accounts); None for free mail and competitors.
    # No foreign key (see migration 0012): the account row is written first.
    account_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class LeadEvent(SQLModel, table=True):
    """A behaviour event as the lead's workflow applied it (duplicates never land here)."""

    __tablename__ = "lead_event"
    __table_args__ = (sa.UniqueConstraint("lead_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    event_id: str = Field(max_length=200)
    type: str = Field(index=True)
    occurred_at: datetime = _ts(nullable=False)
    applied_at: datetime = _ts(nullable=False)
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    points: int = 0
    score_after: int = 0


class Touch(SQLModel, table=True):
    """A campaign reaching a lead: the lead's source at intake, or an event naming a
    campaign (nurture.rules.touches). Multi-touch attribution credits these, in time order."""

    __table_args__ = (sa.UniqueConstraint("lead_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    campaign: str = Field(index=True, max_length=100)
    kind: str = Field(max_length=60)  # "intake", or the event's type
    at: datetime = _ts(nullable=False)
    ref: str = Field(max_length=200)  # the event_id, or nurture.rules.touches.intake_ref


class ScoreChange(SQLModel, table=True):
    __tablename__ = "score_change"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    at: datetime = _ts(nullable=False)
    rule: str
    points: int
    score_after: int
    cause: str = ""


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    at: datetime = _ts(nullable=False)
    from_stage: str | None = None
    to_stage: str = Field(index=True)
    reason: str = ""


class EmailMessage(SQLModel, table=True):
    """One row per mail: the outbox key makes a retried send find the earlier attempt."""

    __tablename__ = "email_message"

    id: int | None = Field(default=None, primary_key=True)
    outbox_key: str = Field(unique=True, max_length=300)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    kind: str = "nurture"  # nurture | rep
    scenario: str = ""
    step: str = ""
    rep_id: uuid.UUID | None = None
    message_id: str = ""
    tracking_id: str = Field(default="", index=True, max_length=64)
    subject: str = ""
    # pending: not yet handed to SMTP; sending: in DATA, fate not yet known; sent: the relay
    # said 250; uncertain: an attempt died in DATA, so nobody knows (never re-sent, shown);
    # held: the relay or our configuration refuses (retried until fixed); failed: given up;
    # skipped (unsubscribed before it went) | bounced (the recipient was refused).
    status: str = Field(default="pending", index=True)
    scheduled_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)
    sending_at: datetime | None = _ts(nullable=True)
    attempts: int = 0  # delivery attempts that reached the relay
    last_error: str = Field(default="", max_length=500)  # codes and causes, never addresses
    held_since: datetime | None = _ts(nullable=True)


class Rep(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    email: str = Field(unique=True, max_length=320)
    manager_email: str | None = None
    language: str | None = Field(default=None, max_length=8)  # None: NURTURE_DEFAULT_LANGUAGE
    timezone: str | None = Field(default=None, max_length=64)  # None: the SLA calendar's
    territories: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    industries: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    weight: int = 1
    active: bool = True
    away_until: datetime | None = _ts(nullable=True)
    token_hash: str | None = Field(default=None, index=True, unique=True, max_length=64)
    assigned_count: int = 0
    last_assigned_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Handoff(SQLModel, table=True):
    """A lead in sales' hands: who has it, the SLA deadline, and what sales did."""

    id: str = Field(primary_key=True, max_length=100)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    rep_id: uuid.UUID | None = Field(default=None, foreign_key="rep.id", index=True)
    status: str = Field(default="pending", index=True)
    priority: str = ""
    score: int = 0
    reason: str = ""
    reassignments: int = 0
    created_at: datetime = _ts(nullable=False)
    deadline_at: datetime | None = _ts(nullable=True)
    acknowledged_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    outcome_reason: str | None = None
    outcome_note: str = ""
    amount: Decimal | None = Field(default=None, sa_column=Column(sa.Numeric(14, 2)))


class RepAssignment(SQLModel, table=True):
    """Each rep a handoff was given to, in order; makes assignment retries idempotent."""

    __tablename__ = "rep_assignment"
    __table_args__ = (sa.UniqueConstraint("handoff_id", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: str = Field(max_length=100, index=True)
    attempt: int
    rep_id: uuid.UUID = Field(foreign_key="rep.id")
    reason: str
    at: datetime = _ts(nullable=False)


class SlaEvent(SQLModel, table=True):
    """Everything that happened under the SLA: assignment, reminders, escalations, actions."""

    __tablename__ = "sla_event"

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: str = Field(max_length=100, index=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    rep_id: uuid.UUID | None = None
    at: datetime = _ts(nullable=False)
    event: str = Field(index=True)
    detail: str = ""
    reason: str | None = None
    note: str = ""
    amount: Decimal | None = Field(default=None, sa_column=Column(sa.Numeric(14, 2)))


class TimelineNote(SQLModel, table=True):
    """Anything else worth showing on a lead's timeline (failures, scenario end, assignment)."""

    __tablename__ = "timeline_note"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    at: datetime = _ts(nullable=False)
    kind: str
    text: str


class TrackingHit(SQLModel, table=True):
    """An open or a click on a tracked link, by a person or (machine=True) a scanner."""

    __tablename__ = "tracking_hit"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    tracking_id: str = Field(index=True, max_length=64)
    kind: str  # open | click
    url: str | None = None
    at: datetime = _ts(nullable=False)
    machine: bool = False
    reason: str | None = None
    user_agent: str = Field(default="", max_length=300)


class Campaign(SQLModel, table=True):
    """A lead source with its cost: `lead.source` names the campaign's key."""

    key: str = Field(primary_key=True, max_length=100)
    name: str
    channel: str = Field(index=True)
    # None: the cost was never recorded (unknown, shown "–"); 0 is a free campaign.
    cost: Decimal | None = Field(default=None, sa_column=Column(sa.Numeric(14, 2)))
    starts_on: date | None = None
    ends_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    # The content the campaign offers (the whitepaper, the webinar) and named links
    # (recording, slides): what its leads' mails name and link (nurture.rules.content_links).
    asset_title: str | None = Field(default=None, max_length=300)
    asset_url: str | None = Field(default=None, max_length=2000)
    links: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))


class ParkedEvent(SQLModel, table=True):
    """A behaviour event for a lead whose workflow was stopped or closed by ops: kept, not
    applied, until the lead is resumed (`nurture leads resume`)."""

    __tablename__ = "parked_event"
    __table_args__ = (sa.UniqueConstraint("lead_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    event_id: str = Field(max_length=200)
    event: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    parked_at: datetime = _ts(nullable=False)
    reason: str = Field(default="", max_length=200)
    delivered_at: datetime | None = _ts(nullable=True)


class ServiceHeartbeat(SQLModel, table=True):
    """A process saying it is alive and what it sees (worker, API): read by /healthz."""

    __tablename__ = "service_heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    at: datetime = _ts(nullable=False)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class SignInLink(SQLModel, table=True):
    """A one-time sign-in link to /sales that was emailed: the link holds only a random
    value, whose hash is kept here beside the address it was sent to, and the /sales page
    the person was going to when they were asked to sign in (a local path, no query)."""

    __tablename__ = "sign_in_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    email: str = Field(index=True, max_length=320)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    used_at: datetime | None = _ts(nullable=True)
    next_path: str | None = Field(default=None, max_length=300)


class RepSession(SQLModel, table=True):
    """A signed-in /sales session: the cookie holds a random ID, only its hash is kept."""

    __tablename__ = "rep_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    email: str = Field(max_length=320)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    ended_at: datetime | None = _ts(nullable=True)


class ProfileChange(SQLModel, table=True):
    """A lead's scoring fields as they were before an intake changed them, so a backtest
    scores each moment of the past with the profile the lead had then (the lead row holds
    only the newest)."""

    __tablename__ = "profile_change"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    at: datetime = _ts(nullable=False)
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class BacktestRun(SQLModel, table=True):
    """A saved `nurture scoring backtest`: the dashboard shows the newest."""

    __tablename__ = "backtest_run"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    candidate: str = Field(max_length=300)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
