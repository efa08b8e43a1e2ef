"""Typed inputs, results, signals and queries crossing the Temporal boundary.

Only IDs and non-identifying profile fields travel through workflow history;
names and email addresses stay in the database and are loaded by activities.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class EventType(StrEnum):
    WHITEPAPER_DOWNLOAD = "whitepaper_download"
    WEBINAR_REGISTERED = "webinar_registered"
    WEBINAR_ATTENDED = "webinar_attended"
    WEBINAR_QUESTION = "webinar_question"
    SURVEY_HIGH_INTEREST = "survey_high_interest"
    PRICING_PAGE_VIEW = "pricing_page_view"
    CASE_STUDY_DOWNLOAD = "case_study_download"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    MEETING_BOOKED = "meeting_booked"
    PAGE_VIEW = "page_view"


class Stage(StrEnum):
    NEW = "new"
    NURTURING = "nurturing"
    MQL = "mql"
    SALES_PENDING = "sales_pending"
    SALES_ACCEPTED = "sales_accepted"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RECYCLED = "recycled"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    DISQUALIFIED = "disqualified"


class LeadProfile(BaseModel):
    """The scoring-relevant, non-identifying part of a lead."""

    job_title: str = ""
    industry: str = ""
    company_size: int | None = None
    source: str = ""
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    email_kind: str = ""  # business | free_mail | competitor: the address's kind, never itself


class BehaviourEvent(BaseModel):
    """A behaviour signal. `type` is a plain string so a worker older than the API still
    decodes it (an unknown type scores nothing); the API validates it against EventType."""

    event_id: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)


class EnrolRequest(BaseModel):
    """Intake of a known lead: its profile as it is now, and the scenario that it asked for
    (None: no re-enrolment, only the profile)."""

    profile: LeadProfile = Field(default_factory=LeadProfile)
    scenario: str | None = None


class LeadStatus(BaseModel):
    """What the lead's workflow knows right now (query and update result)."""

    lead_id: str
    scenario: str
    stage: Stage
    step: str | None = None
    score: int = 0
    breakdown: dict[str, int] = Field(default_factory=dict)
    fit_grade: str | None = None  # the score's two axes (None: not known to this run yet)
    engagement: int | None = None
    rep_id: str | None = None
    events_applied: int = 0  # behaviour events scored so far (duplicates excluded)
    runs: int = 1  # how many runs the workflow has had (continue-as-new)
    waiting: str = ""  # what the lead waits for now, as the Temporal UI shows it
    enrolment: str | None = None  # what an enrol update did about the scenario asked for
    first_intake: bool = False  # this enrol update is the first the lead's workflow took
    # With sales under a handoff that records the lead's sales stage itself: `stage` is the
    # lead's own last stage (mql); the sales stage is the read model's.
    with_sales: bool = False


class StopRequest(BaseModel):
    """Ops stop a lead for good (`nurture leads stop`): why, in their words."""

    reason: str = Field(min_length=1, max_length=300)


# --- activity payloads -------------------------------------------------------


class ScoreLine(BaseModel):
    rule: str
    points: int
    cause: str = ""


class AppliedEvent(BaseModel):
    event: BehaviourEvent
    points: int
    score_after: int
    rule: str | None = None
    note: str = ""  # why fewer points than the rule gives: counts once, a cap


class ScoreRecord(BaseModel):
    lead_id: str
    at: datetime
    version: int = 0
    score: int
    breakdown: dict[str, int]
    lines: list[ScoreLine] = Field(default_factory=list)
    events: list[AppliedEvent] = Field(default_factory=list)
    # The two axes as the lead's scoring outcome gave them; None (runs from before them):
    # the writer derives them from the breakdown under today's model.
    fit_grade: str | None = None
    engagement: int | None = None


class StageRecord(BaseModel):
    lead_id: str
    at: datetime
    from_stage: Stage | None
    to_stage: Stage
    reason: str = ""
    rep_id: str | None = None
    clear_rep: bool = False


class StepRecord(BaseModel):
    lead_id: str
    at: datetime
    scenario: str
    step: str | None


class NoteRecord(BaseModel):
    lead_id: str
    at: datetime
    kind: str
    text: str


class LeadWrite(BaseModel):
    """One of a lead's read-model writes, as a batch carries it: exactly one field is set."""

    score: ScoreRecord | None = None
    stage: StageRecord | None = None
    step: StepRecord | None = None
    note: NoteRecord | None = None


class LeadWrites(BaseModel):
    """What one workflow task of a lead writes to the read model, in the order it happened:
    one local activity, one transaction."""

    lead_id: str
    writes: list[LeadWrite] = Field(default_factory=list)


class SendStepInput(BaseModel):
    lead_id: str
    scenario: str
    step: str
    enrolment: int = 1
    occurrence: int = 1  # the n-th send of this step in this enrolment (a monthly loop)
    scheduled_at: datetime


class SplitRecord(BaseModel):
    """An A/B split decided for a lead; the activity returns the variant it recorded."""

    lead_id: str
    at: datetime
    split: str
    variant: str


class SendResult(BaseModel):
    message_id: str
    already_sent: bool = False
    skipped: str | None = None  # "unsubscribed" or "bounced": the lead takes no more mail
    uncertain: bool = False  # an attempt died while the relay took it: not re-sent, shown
    unrecorded: bool = False  # delivered, but the outbox row could not be marked sent yet
    outbox_key: str = ""
    subject: str = ""


class HaltRecord(BaseModel):
    """A lead stopped by ops: the read model marks it halted and keeps its unapplied events."""

    lead_id: str
    at: datetime
    how: str = "stopped"
    parked: list[BehaviourEvent] = Field(default_factory=list)


class SendFailedRecord(BaseModel):
    """A send that ended without delivery and without the outbox saying so (an attempt
    scheduled by older code ran out of attempts while the mail was held)."""

    outbox_key: str
    cause: str


class SentRecord(BaseModel):
    """A delivery the send activity could not record (the database was locked)."""

    outbox_key: str
    at: datetime
    subject: str = ""


class HandoffStatus(StrEnum):
    PENDING = "pending"  # assigned, SLA clock running
    ACCEPTED = "accepted"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # SLA breached: taken back from sales


CLOSED_HANDOFF = (
    HandoffStatus.WON,
    HandoffStatus.LOST,
    HandoffStatus.REJECTED,
    HandoffStatus.WITHDRAWN,
)


class SlaEventKind(StrEnum):
    """What happened to a handoff, as the handoff workflow records it (`SlaEvent.event`).

    The values are stored in the read model and carried in workflow histories: never rename
    one. The SLA KPIs read clock starts, answers, escalations and breaches from them.
    """

    ASSIGNED = "assigned"  # the first rep's clock starts
    REASSIGNED = "reassigned"  # the next rep's clock starts
    REMINDER = "reminder"
    ESCALATION = "escalation"
    BREACH = "breach"  # the ladder ran out: the handoff is withdrawn
    ACK = "ack"
    REJECT = "reject"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    NOTIFY_FAILED = "notify_failed"
    WEBHOOK_FAILED = "webhook_failed"
    WAITING_FOR_REP = "waiting_for_rep"  # nobody could take the lead; the handoff waits
    CHAT_FAILED = "chat_failed"  # the Slack post gave up; the handoff goes on


CLOCK_STARTS = (SlaEventKind.ASSIGNED, SlaEventKind.REASSIGNED)
SLA_ANSWERS = (SlaEventKind.ACK, SlaEventKind.REJECT)  # what stops a rep's clock


class HandoffInput(BaseModel):
    handoff_id: str
    lead_id: str
    score: int
    breakdown: dict[str, int] = Field(default_factory=dict)
    profile: LeadProfile = Field(default_factory=LeadProfile)


class AccountCheck(BaseModel):
    """An engaged lead asks whether its account's buying group is now ready (lead-account-
    handoff): its own engagement goes with it, the other people's are the read model's."""

    lead_id: str
    engagement: int
    at: datetime


class AccountClaim(BaseModel):
    """What the account check found; history keeps it, so a change of the buying group's
    rule reaches only later checks. `account_id` None: the lead is of no account (free
    mail, a competitor), it never asks again."""

    account_id: str | None = None
    claimed: bool = False  # the lead carries the account to sales: it qualifies now
    leads: list[str] = Field(default_factory=list)  # the engaged people handed over, by id
    ask_from: int = 0  # the lead asks on each rise of its engagement over this
    why: str = ""  # the claim's reason, for the MQL stage (no names)


NOT_HANDED = "not handed"  # an account claimed, then its lead stopped before any handoff


class AccountHandoffEnd(BaseModel):
    """The carrier's handoff ended: the account may be handed again (unless it was won)."""

    lead_id: str
    at: datetime
    outcome: str


class Assignment(BaseModel):
    """The rep chosen, by ID: names stay in the database, out of workflow history."""

    rep_id: str
    reason: str
    has_manager: bool = False  # the address stays in the database, out of workflow history
    chat: bool = False  # NURTURE_SLACK_WEBHOOK_URL was set: notices go to Slack too


class AssignInput(BaseModel):
    handoff_id: str
    lead_id: str
    score: int
    at: datetime
    profile: LeadProfile = Field(default_factory=LeadProfile)
    exclude_rep_ids: list[str] = Field(default_factory=list)
    to_rep_id: str | None = None  # a manager's choice: this rep, if active, for `attempt`
    attempt: int | None = None  # None: one more than the reps tried (exclude_rep_ids)


class NoticeKind(StrEnum):
    ASSIGNED = "assigned"
    REMINDER = "reminder"
    MANAGER = "manager"
    WITHDRAWN = "withdrawn"
    REASSIGNED = "reassigned"  # to the previous rep, when a manager moved the handoff


class NoRepNoticeInput(BaseModel):
    """Tell the sales admin (or the reps' managers) that a lead waits for a rep."""

    handoff_id: str
    lead_id: str
    at: datetime


class NotifyRepInput(BaseModel):
    handoff_id: str
    rep_id: str
    kind: NoticeKind = NoticeKind.ASSIGNED
    at: datetime
    deadline: datetime | None = None
    attempt: int = 1  # which assignment of this handoff (1 = first rep)


class SalesAction(BaseModel):
    """A rep's (or an admin's, rep_id None) action on a handoff."""

    rep_id: str | None = None
    reason: str | None = None
    note: str = ""
    amount: Decimal | None = None
    via: str = ""  # how: "link" (mail or chat), "workspace" (/sales) or "api"; recorded


class ReassignRequest(BaseModel):
    """A manager hands a pending or acknowledged handoff to another rep (by ID)."""

    to_rep_id: str
    # The rep the manager saw it with: refused if it moved meanwhile (a stale page).
    from_rep_id: str | None = None
    by: str = ""  # who asked, as an opaque label for the timeline: "manager:<rep id>", "admin"
    note: str = ""


# The handoff workflow's reassignment update, and the signal that tells a handoff waiting
# for a rep that one may be available now, by name (the API and CLI use them without
# importing the workflow class).
REASSIGN_UPDATE = "reassign"
REPS_AVAILABLE_SIGNAL = "reps-available"


# The handoff workflow's state query, by name: activities sit beside workflows and must not
# import a workflow class to ask it something (no import cycle between the two packages).
HANDOFF_STATE_QUERY = "state"


class HandoffState(BaseModel):
    handoff_id: str
    lead_id: str
    status: HandoffStatus
    priority: str
    rep_id: str | None = None
    deadline: datetime | None = None
    reassignments: int = 0
    acknowledged_at: datetime | None = None
    records_lead: bool = False  # it writes the lead's sales stage itself (a lookup adopts it)
    lead_stage: Stage | None = None  # the lead's stage as it last wrote it (mql: no rep yet)


class HandoffRecord(BaseModel):
    """A change of the handoff for the read model, with the SLA event it stands for."""

    handoff_id: str
    lead_id: str
    at: datetime
    event: SlaEventKind
    status: HandoffStatus
    rep_id: str | None = None
    priority: str = ""
    score: int = 0
    deadline: datetime | None = None
    reassignments: int = 0
    reason: str | None = None
    note: str = ""
    amount: Decimal | None = None
    detail: str = ""
    assignment_reason: str = ""
    # The lead's sales stage moved with this change: written in the same transaction, by
    # the handoff (handoffs started after handoff-records-lead-stage), not by the lead.
    lead_stage: StageRecord | None = None


class SalesProgress(BaseModel):
    """Child to parent: the lead's stage moved because of what sales did."""

    stage: Stage
    reason: str
    rep_id: str | None = None
    handoff_id: str | None = None  # None from handoffs started before 2026-12-01
    waiting_for_rep: bool = False  # nobody can take the lead yet; the handoff waits
    recorded: bool = False  # the handoff wrote this stage to the read model: the lead only takes it


class HandoffResult(BaseModel):
    handoff_id: str
    status: HandoffStatus
    rep_id: str | None = None
    # The lead's sales stage the handoff last wrote (handoffs that record it themselves):
    # the lead takes it as its own at the end, without writing it again.
    lead_stage: Stage | None = None


def lead_workflow_id(lead_id: object) -> str:
    """The business key: one workflow per lead, named by its UUID (never its email)."""
    return f"lead-{lead_id}"


BEHAVIOUR_SIGNAL = "behaviour"
SALES_PROGRESS_SIGNAL = "sales_progress"
UNSUBSCRIBE_SIGNAL = "unsubscribe"
# An intake whose sender needs no answer (bulk intake, a CDP batch): `enrol` by signal.
INTAKE_SIGNAL = "intake"
HANDOFF_CLOSED_SIGNAL = "handoff_closed"


class HandoffLookup(BaseModel):
    """A handoff this run did not start (a reset or resumed lead): is it still with sales?"""

    handoff_id: str
    running: bool
    result: HandoffResult | None = None  # when it ended
    stage: Stage | None = None  # the lead's sales stage while it runs
    rep_id: str | None = None
    lead_recorded: bool = False  # the handoff wrote that stage itself: the lead only takes it
