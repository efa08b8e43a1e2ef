"""The sales handoff under the SLA: assign, notify, run the business-hour clock, escalate.

A child of the lead workflow. Reps act on it through updates (ack, reject, opportunity,
won, lost) whose validators refuse out-of-order actions and other reps' hands. When the
clock runs out the ladder reminds, tells the manager, reassigns, and finally compensates:
the handoff is withdrawn and the lead goes back to nurturing.

Since `handoff-records-lead-stage` it is the one writer of the lead's sales stage: each
move goes into the read model with the handoff's own record of it, and the lead hears only
how the handoff ended (a signal per move used to cost a signal, a write and an upsert).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.assignment import AssignmentActivities
    from activities.email import EmailActivities
    from activities.read_model import ReadModelActivities
    from activities.sales_webhook import SalesWebhookActivities
    from nurture.models import (
        CLOSED_HANDOFF,
        HANDOFF_CLOSED_SIGNAL,
        HANDOFF_STATE_QUERY,
        REASSIGN_UPDATE,
        REPS_AVAILABLE_SIGNAL,
        SALES_PROGRESS_SIGNAL,
        AssignInput,
        Assignment,
        HandoffInput,
        HandoffRecord,
        HandoffResult,
        HandoffState,
        HandoffStatus,
        NoRepNoticeInput,
        NoticeKind,
        NotifyRepInput,
        ReassignRequest,
        SalesAction,
        SalesProgress,
        SentRecord,
        SlaEventKind,
        Stage,
        StageRecord,
    )
    from nurture.rules.sales_rules import LEAD_STAGE, RESULT, Action, body_problem, refusal
    from nurture.search_attributes import HANDOFF_STATE
    from scenarios.sla import SLA
    from workflows import handoff_chat, policies

NO_REP_RETRY_EVERY = timedelta(hours=1)
R = TypeVar("R")
# Handoffs started from here on tell the lead they ended by signal, which reaches the
# lead's current run even after it continued-as-new (a child result would not).
CLOSE_SIGNAL = "handoff-close-signal"
# Handoffs started from here on send their mail beside the SLA clock instead of waiting for
# it: a relay that is down holds the rep's mail for days, and must not hold the handoff.
NOTICES_ASIDE = "handoff-notices-aside"
# Handoffs started from here on show where they stand (search attribute HandoffState), and
# one nobody can take says so (the lead's timeline, the manager told once) and is assigned
# as soon as a rep becomes available, not on the next hourly try.
VISIBLE_STATE = "handoff-visible-state"
# Handoffs started from here on (2026-12-01) take their HandoffState from their start (a
# lead that took lead-records-batched sets it there) and upsert only changes; they take the
# three patches above and handoff-chat too, with this one marker.
START_STATE = "handoff-start-state"
# Handoffs started from here on (2026-12-02) write the lead's sales stage themselves, in the
# read-model write of the move that made it (one writer per sales move), instead of telling
# the lead to write it: the lead hears only how the handoff ended, and its search attribute
# LeadStage stays at mql meanwhile (HandoffState says where sales stands). They take
# START_STATE and everything it implies, with this one marker.
LEAD_WRITER = "handoff-records-lead-stage"
OPEN = (HandoffStatus.PENDING, HandoffStatus.ACCEPTED, HandoffStatus.OPPORTUNITY)
ACTED, MOVED, RAN_OUT = "acted", "moved", "ran_out"  # how a walk up the ladder ended


@workflow.defn
class SalesHandoffWorkflow:
    @workflow.init
    def __init__(self, input: HandoffInput) -> None:
        self._input = input
        self._priority = SLA.priority_for(input.score)
        self._status = HandoffStatus.PENDING
        self._rep: Assignment | None = None
        self._deadline: datetime | None = None
        self._reassignments = 0
        self._acked_at: datetime | None = None
        self._tried: list[str] = []
        self._aside = False
        self._notices: list[tuple[NoticeKind, asyncio.Task[None]]] = []
        self._webhooks = asyncio.Lock()  # the CRM hears of a handoff's moves in order
        self._visible = False
        self._reps_maybe = False  # a rep may have become available: try assigning again
        self._moving = False  # a reassignment is choosing the next rep
        self._moves = 0  # a manager's reassignments, which restart the clock's ladder
        self._attempt = 0  # the last assignment attempt asked for (visible handoffs)
        self._shown: str | None = None  # the HandoffState last upserted (or set at start)
        self._current = False  # START_STATE: the handoff's older patches without their markers
        self._writes_lead = False  # LEAD_WRITER: the lead's sales stage is written from here
        self._lead_stage = Stage.MQL  # the lead's stage as this handoff last wrote it
        self._lead_waiting = False  # the lead was told nobody can take it (LEAD_WRITER)
        self._lead_writes = asyncio.Lock()  # the lead's stage moves reach the read model in order

    @workflow.run
    async def run(self, input: HandoffInput) -> HandoffResult:
        self._writes_lead = workflow.patched(LEAD_WRITER)
        self._current = self._writes_lead or workflow.patched(START_STATE)
        self._aside = self._current or workflow.patched(NOTICES_ASIDE)
        self._visible = self._current or workflow.patched(VISIBLE_STATE)
        if self._current:
            self._shown = workflow.info().typed_search_attributes.get(HANDOFF_STATE)
        self._rep = await self._assign(first=True)
        handed = "handed to a sales rep"
        await self._started_clock(
            SlaEventKind.ASSIGNED,
            self._rep.reason,
            lead=self._lead_move(Stage.SALES_PENDING, handed),
        )
        await self._notify(NoticeKind.ASSIGNED)
        await self._tell_lead(Stage.SALES_PENDING, handed)
        while self._status == HandoffStatus.PENDING:
            outcome = await self._run_ladder()
            if outcome == ACTED:
                break
            if outcome == MOVED:
                continue  # a manager gave it to someone else: their clock, from the start
            automatic = self._reassignments - self._moves
            if automatic < SLA.ladder.max_reassignments and await self._reassign():
                continue
            await self._withdraw()
        await workflow.wait_condition(lambda: self._status in CLOSED_HANDOFF)
        await workflow.wait_condition(workflow.all_handlers_finished)
        result = HandoffResult(
            handoff_id=input.handoff_id,
            status=self._status,
            rep_id=self._rep.rep_id if self._rep else None,
            lead_stage=self._lead_stage if self._writes_lead else None,
        )
        if self._aside:
            # The lead moves on at once; mail about a handoff that is over no longer applies,
            # but a rep's "withdrawn" notice still goes (held mail may take days).
            for kind, task in self._notices:
                if kind != NoticeKind.WITHDRAWN:
                    task.cancel()
            if self._patched(CLOSE_SIGNAL):  # always, beside the clock; keeps its marker
                await self._tell_lead_closed(result)
            await asyncio.gather(*(t for _, t in self._notices), return_exceptions=True)
            return result
        if self._patched(CLOSE_SIGNAL):
            await self._tell_lead_closed(result)
        return result

    def _patched(self, patch: str) -> bool:
        """An older patch, taken by every handoff that took START_STATE."""
        return self._current or workflow.patched(patch)

    @workflow.query(name=HANDOFF_STATE_QUERY)
    def state(self) -> HandoffState:
        return HandoffState(
            handoff_id=self._input.handoff_id,
            lead_id=self._input.lead_id,
            status=self._status,
            priority=self._priority.name,
            rep_id=self._rep.rep_id if self._rep else None,
            deadline=self._deadline,
            reassignments=self._reassignments,
            acknowledged_at=self._acked_at,
            records_lead=self._writes_lead,
            lead_stage=self._lead_stage if self._writes_lead else None,
        )

    # --- sales actions ----------------------------------------------------------

    @workflow.update
    async def ack(self, action: SalesAction) -> HandoffState:
        self._acked_at = workflow.now()
        return await self._apply(Action.ACK, action)

    @ack.validator
    def _validate_ack(self, action: SalesAction) -> None:
        self._validate(Action.ACK, action)

    @workflow.update
    async def reject(self, action: SalesAction) -> HandoffState:
        return await self._apply(Action.REJECT, action)

    @reject.validator
    def _validate_reject(self, action: SalesAction) -> None:
        self._validate(Action.REJECT, action)

    @workflow.update
    async def opportunity(self, action: SalesAction) -> HandoffState:
        return await self._apply(Action.OPPORTUNITY, action)

    @opportunity.validator
    def _validate_opportunity(self, action: SalesAction) -> None:
        self._validate(Action.OPPORTUNITY, action)

    @workflow.update
    async def won(self, action: SalesAction) -> HandoffState:
        return await self._apply(Action.WON, action)

    @won.validator
    def _validate_won(self, action: SalesAction) -> None:
        self._validate(Action.WON, action)

    @workflow.update
    async def lost(self, action: SalesAction) -> HandoffState:
        return await self._apply(Action.LOST, action)

    @lost.validator
    def _validate_lost(self, action: SalesAction) -> None:
        self._validate(Action.LOST, action)

    @workflow.signal(name=REPS_AVAILABLE_SIGNAL)
    def reps_available(self) -> None:
        """A rep was enabled, came back or was added: a handoff waiting for one tries now."""
        self._reps_maybe = True

    @workflow.update(name=REASSIGN_UPDATE)
    async def reassign(self, request: ReassignRequest) -> HandoffState:
        """A manager moves an open handoff to another rep; a pending one starts their clock."""
        previous, status = self._rep, self._status
        if previous is None:  # the validator refused this; kept for the type checker
            raise ApplicationError("the handoff has no rep yet", type="OutOfOrder")
        self._moving = True  # the ladder waits for this, and refuses a second move meanwhile
        try:
            chosen = await self._assign_to(request.to_rep_id)
            if self._status != status or self._rep is not previous:
                raise ApplicationError(
                    "the handoff moved on meanwhile (the rep acted): nothing was changed",
                    type="OutOfOrder",
                )
            # Swap before any await, so the previous rep's late action is refused from now on.
            self._tried.append(previous.rep_id)
            self._rep = chosen
            self._reassignments += 1
            self._moves += 1
            detail = f"reassigned by {request.by or 'a manager'}"
            if request.note:
                detail += f": {request.note}"
            stage = LEAD_STAGE.get(self._status, Stage.SALES_PENDING)
            why = "reassigned to another sales rep by a manager"
            move = self._lead_move(stage, why)
            if self._status == HandoffStatus.PENDING:
                await self._started_clock(
                    SlaEventKind.REASSIGNED, detail, note=request.note, lead=move
                )
            else:
                await self._record(
                    SlaEventKind.REASSIGNED, detail=detail, note=request.note, lead=move
                )
                self._show()
        finally:
            self._moving = False
        await self._notify(NoticeKind.REASSIGNED, previous)
        await self._notify(NoticeKind.ASSIGNED)
        await self._tell_lead(stage, why)
        return self.state()

    async def _assign_to(self, rep_id: str) -> Assignment:
        """The manager's choice, recorded as the next assignment attempt."""
        self._attempt += 1
        request = self._assign_input(to_rep_id=rep_id, attempt=self._attempt)
        try:
            return await self._assign_rep(request)
        except ActivityError as err:
            cause = err.cause
            why = cause.message if isinstance(cause, ApplicationError) else str(err)
            raise ApplicationError(why, type="RepUnavailable") from None

    @reassign.validator
    def _validate_reassign(self, request: ReassignRequest) -> None:
        if self._rep is None:
            raise ApplicationError("the handoff has no rep yet", type="OutOfOrder")
        if self._status not in OPEN:
            raise ApplicationError(
                f"the handoff is closed ({self._status.value}); nothing more can be done",
                type="OutOfOrder",
            )
        if not self._visible:
            raise ApplicationError(
                "this handoff started before reassignment existed; it follows the SLA ladder",
                type="OutOfOrder",
            )
        if self._moving:
            raise ApplicationError(
                "the handoff is being reassigned right now; try again in a moment",
                type="OutOfOrder",
            )
        if request.from_rep_id is not None and request.from_rep_id != self._rep.rep_id:
            raise ApplicationError(
                "the handoff moved to another rep meanwhile; reload the page", type="OutOfOrder"
            )
        if request.to_rep_id == self._rep.rep_id:
            raise ApplicationError("the handoff is with that rep already", type="SameRep")

    def _validate(self, act: Action, action: SalesAction) -> None:
        if self._rep is None:
            raise ApplicationError("the handoff has no rep yet", type="OutOfOrder")
        if action.rep_id is not None and action.rep_id != self._rep.rep_id:
            raise ApplicationError("this handoff is not assigned to you", type="NotYourHandoff")
        why = refusal(act, self._status)
        if why is not None:
            raise ApplicationError(why, type="OutOfOrder")
        # The same rule the API checks first: a caller that skips the API (a script on the
        # Temporal client) meets it here. Validators do not run on replay.
        problem = body_problem(act, action.reason, action.amount, SLA)
        if problem is not None:
            raise ApplicationError(problem.message, type=problem.kind)

    async def _apply(self, act: Action, action: SalesAction) -> HandoffState:
        self._status = RESULT[act]
        who = "an admin" if action.rep_id is None else "the rep"
        stage = LEAD_STAGE.get(self._status)
        why = f"sales: {act.value}"
        await self._record(
            SlaEventKind(act.value),
            detail=f"by {who} via {action.via}" if action.via else "",
            reason=action.reason,
            note=action.note,
            amount=action.amount,
            lead=self._lead_move(stage, why) if stage is not None else None,
        )
        self._show()
        if stage is not None:
            await self._tell_lead(stage, why)
        return self.state()

    # --- the clock and the ladder -------------------------------------------------

    async def _started_clock(
        self, event: SlaEventKind, detail: str, note: str = "", lead: StageRecord | None = None
    ) -> None:
        window = self._priority.acknowledge_within
        self._deadline = SLA.calendar.add(workflow.now(), window)
        due = self._deadline.astimezone(SLA.calendar.zone).strftime("%Y-%m-%d %H:%M %Z")
        await self._record(
            event,
            detail=f"{detail}; {self._priority.name} lead, acknowledge by {due}",
            note=note,
            assignment_reason=self._rep.reason if self._rep else "",
            lead=lead,
        )
        self._show()

    async def _run_ladder(self) -> str:
        """Walk the ladder: ACTED when sales acted, MOVED when a manager gave the handoff to
        another rep (whose clock starts afresh), RAN_OUT when it ran out."""
        if self._deadline is None:
            raise ApplicationError("clock not started", non_retryable=True)
        ladder = SLA.ladder
        rungs = (
            (ladder.remind_rep_after, self._remind),
            (ladder.tell_manager_after, self._tell_manager),
            (ladder.reassign_after, None),
        )
        moves = self._moves
        for after, act in rungs:
            if await self._acted_before(SLA.calendar.add(self._deadline, after), moves):
                return MOVED if self._moves != moves else ACTED
            if act is not None:
                await act()
                if self._moves != moves:  # moved while the reminder or escalation went out
                    return MOVED
        return RAN_OUT

    async def _acted_before(self, when: datetime, moves: int) -> bool:
        """True when sales acted, or a manager moved the handoff, before `when`; a move that
        was refused (the rep chosen is away) wakes this early and it waits on."""
        while True:
            if self._moving:  # let the reassignment finish: its rep's clock replaces this one
                await workflow.wait_condition(lambda: not self._moving)
            if self._status != HandoffStatus.PENDING or self._moves != moves:
                return True
            remaining = when - workflow.now()
            if remaining <= timedelta(0):
                return False
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._status != HandoffStatus.PENDING
                        or self._moving
                        or self._moves != moves
                    ),
                    timeout=remaining,
                )
            except TimeoutError:  # the deadline passing is the normal case
                return self._status != HandoffStatus.PENDING or self._moves != moves

    async def _remind(self) -> None:
        await self._record(SlaEventKind.REMINDER, detail="deadline missed; rep reminded")
        self._show("overdue")
        await self._notify(NoticeKind.REMINDER)

    async def _tell_manager(self) -> None:
        if self._rep is None or not self._rep.has_manager:
            await self._record(
                SlaEventKind.ESCALATION, detail="no manager on record to escalate to"
            )
            return
        await self._record(SlaEventKind.ESCALATION, detail="manager told")
        self._show("escalated")
        await self._notify(NoticeKind.MANAGER)

    async def _reassign(self) -> bool:
        previous = self._rep
        if previous is None:
            return False
        self._tried.append(previous.rep_id)
        self._moving = True  # a manager's reassignment waits for this one
        try:
            chosen = await self._assign(first=False)
        except ActivityError:
            return False  # nobody else to take it: fall through to compensation
        finally:
            self._moving = False
        if self._status != HandoffStatus.PENDING:
            return True  # the rep acted while the next one was being chosen: theirs it stays
        # Swap before any await, so the previous rep's late action is refused from now on.
        self._rep = chosen
        self._reassignments += 1
        await self._notify(NoticeKind.WITHDRAWN, previous)
        why = "reassigned to the next sales rep"
        await self._started_clock(
            SlaEventKind.REASSIGNED,
            f"from the previous rep: {chosen.reason}",
            lead=self._lead_move(Stage.SALES_PENDING, why),
        )
        await self._notify(NoticeKind.ASSIGNED)
        await self._tell_lead(Stage.SALES_PENDING, why)
        return True

    async def _withdraw(self) -> None:
        """Compensation: undo the assignment, tell the rep, hand the lead back to marketing."""
        self._status = HandoffStatus.WITHDRAWN  # first: an ack from now on is refused (409)
        await self._record(SlaEventKind.BREACH, detail="SLA breached; handoff withdrawn")
        self._show()
        await self._notify(NoticeKind.WITHDRAWN)

    # --- side effects ---------------------------------------------------------------

    def _assign_input(
        self,
        *,
        exclude: list[str] | None = None,
        to_rep_id: str | None = None,
        attempt: int | None = None,
    ) -> AssignInput:
        """Who is to be assigned, now: past the reps tried, or the manager's pick."""
        return AssignInput(
            handoff_id=self._input.handoff_id,
            lead_id=self._input.lead_id,
            score=self._input.score,
            at=workflow.now(),
            profile=self._input.profile,
            exclude_rep_ids=exclude or [],
            to_rep_id=to_rep_id,
            attempt=attempt,
        )

    async def _assign_rep(self, request: AssignInput) -> Assignment:
        return await workflow.execute_activity_method(
            AssignmentActivities.assign_rep,
            request,
            start_to_close_timeout=policies.ASSIGN_TIMEOUT,
            retry_policy=policies.ASSIGN_RETRY,
        )

    async def _assign(self, *, first: bool) -> Assignment:
        request = self._assign_input(exclude=list(self._tried))
        if self._visible:  # one numbering for the ladder's and the manager's assignments
            self._attempt += 1
            request.attempt = self._attempt
        told = False
        while True:
            self._reps_maybe = False  # a signal from here on means: try again
            try:
                return await self._assign_rep(request)
            except ActivityError as err:
                cause = err.cause
                no_rep = isinstance(cause, ApplicationError) and cause.type == "NoRepAvailable"
                if not no_rep or not first:
                    raise
                # Nobody can take the lead yet: wait for reps, never drop it.
                if not self._visible:
                    workflow.logger.warning(
                        "no sales rep available; retrying in %s", NO_REP_RETRY_EVERY
                    )
                    await workflow.sleep(NO_REP_RETRY_EVERY)
                    request.at = workflow.now()
                    continue
                if not told:
                    told = True
                    await self._waiting_for_rep()
                await self._until_reps_may_be_back(_first_back(cause))
                request.at = workflow.now()

    async def _waiting_for_rep(self) -> None:
        """Say once that nobody can take the lead: the read model's handoff and the lead's
        timeline show it, ops find it by HandoffState, the sales admin is mailed."""
        await self._record(
            SlaEventKind.WAITING_FOR_REP,
            detail="no sales rep is available (all disabled, away or none configured)",
        )
        self._show("waiting_for_rep")
        await self._tell_lead(
            Stage.MQL, "waiting for a sales rep: none is available", waiting_for_rep=True
        )
        notice = NoRepNoticeInput(
            handoff_id=self._input.handoff_id, lead_id=self._input.lead_id, at=workflow.now()
        )
        # Beside the wait, so a relay that is down never holds the lead from a rep.
        self._notices.append((NoticeKind.MANAGER, asyncio.create_task(self._tell_admin(notice))))

    async def _tell_admin(self, notice: NoRepNoticeInput) -> None:
        try:
            await workflow.execute_activity_method(
                EmailActivities.notify_no_rep,
                notice,
                start_to_close_timeout=policies.SEND_TIMEOUT,
                heartbeat_timeout=policies.SEND_HEARTBEAT,
                retry_policy=policies.SEND_RETRY,
            )
        except ActivityError as err:
            await self._record(
                SlaEventKind.NOTIFY_FAILED, detail=f"no-rep mail failed: {err.cause}"
            )

    async def _until_reps_may_be_back(self, back: datetime | None) -> None:
        """Wait for a rep: a signal (enabled, back, added) or the first away rep's return,
        at most an hour (a rep added straight to the database sends no signal)."""
        wait = NO_REP_RETRY_EVERY
        if back is not None:
            wait = min(wait, max(back - workflow.now(), timedelta(0)) + timedelta(seconds=1))
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._reps_maybe, timeout=wait)

    def _show(self, where: str | None = None) -> None:
        """Where the handoff stands, for ops: the Temporal UI's details and HandoffState."""
        if not self._visible:
            return
        state = where or self._status.value
        rep = self._rep.rep_id if self._rep else None
        if state == "waiting_for_rep":
            details = "waiting for a sales rep: none is available"
        elif self._status == HandoffStatus.PENDING and self._deadline is not None:
            due = self._deadline.astimezone(SLA.calendar.zone).strftime("%Y-%m-%d %H:%M %Z")
            details = f"{state}: with rep {rep}, acknowledge by {due}"
        else:
            details = f"{state}: with rep {rep}" if rep else state
        workflow.set_current_details(details)
        if state != self._shown:  # each upsert is a command (and a billed action)
            self._shown = state
            workflow.upsert_search_attributes([HANDOFF_STATE.value_set(state)])

    async def _notify(self, kind: NoticeKind, rep: Assignment | None = None) -> None:
        to = rep or self._rep
        if to is None:
            return
        attempt = self._reassignments + (0 if rep is not None else 1)  # rep: the previous one
        notice = NotifyRepInput(
            handoff_id=self._input.handoff_id,
            rep_id=to.rep_id,
            kind=kind,
            at=workflow.now(),
            deadline=self._deadline,
            attempt=attempt,
        )
        if self._aside:
            self._notices.append((kind, asyncio.create_task(self._send_notice(notice))))
        else:
            await self._send_notice(notice)

    async def _send_notice(self, notice: NotifyRepInput) -> None:
        """The mail to the rep (or manager), and the sales webhook for assignments: beside
        the clock the webhook goes first, in order, so a held mail never delays the CRM.
        The Slack post goes beside both (handoff_chat) and ends with the notice."""
        chat = self._chat_beside(notice)
        kind = notice.kind
        if self._aside and kind in (NoticeKind.ASSIGNED, NoticeKind.WITHDRAWN):
            async with self._webhooks:
                await self._post_webhook(notice)
        try:
            sent = await workflow.execute_activity_method(
                EmailActivities.notify_rep,
                notice,
                start_to_close_timeout=policies.SEND_TIMEOUT,
                heartbeat_timeout=policies.SEND_HEARTBEAT,
                retry_policy=policies.SEND_RETRY,
            )
            if sent.unrecorded:
                await self._record_sent(
                    SentRecord(outbox_key=sent.outbox_key, at=workflow.now(), subject=sent.subject)
                )
        except ActivityError as err:
            await self._record(
                SlaEventKind.NOTIFY_FAILED, detail=f"{kind.value} mail failed: {err.cause}"
            )
        if not self._aside and kind in (NoticeKind.ASSIGNED, NoticeKind.WITHDRAWN):
            await self._post_webhook(notice)
        if chat is not None:
            await chat

    def _chat_beside(self, notice: NotifyRepInput) -> asyncio.Task[None] | None:
        """The notice's Slack post as a task of its own, cancelled if the notice is (the
        handoff ended); only beside the clock, when the rep's assignment says chat is set up,
        so a product without Slack adds nothing to any history."""
        wanted = self._aside and self._rep is not None and self._rep.chat
        if not wanted or notice.kind not in handoff_chat.KINDS:
            return None
        if not self._patched(handoff_chat.PATCH):
            return None
        chat = asyncio.create_task(self._post_chat(notice))
        notice_task = asyncio.current_task()
        if notice_task is not None:
            notice_task.add_done_callback(lambda _: chat.cancel())
        return chat

    async def _post_chat(self, notice: NotifyRepInput) -> None:
        failed = await handoff_chat.post(notice)
        if failed is not None:
            await self._record(SlaEventKind.CHAT_FAILED, detail=failed)

    async def _post_webhook(self, notice: NotifyRepInput) -> None:
        try:
            await workflow.execute_activity_method(
                SalesWebhookActivities.post_handoff_event,
                notice,
                start_to_close_timeout=policies.WEBHOOK_TIMEOUT,
                retry_policy=policies.WEBHOOK_RETRY,
            )
        except ActivityError as err:
            await self._record(
                SlaEventKind.WEBHOOK_FAILED, detail=f"{notice.kind.value}: {err.cause}"
            )

    def _lead_move(self, stage: Stage, reason: str) -> StageRecord | None:
        """LEAD_WRITER: the lead's stage change that goes with the handoff's next record."""
        if not self._writes_lead:
            return None
        move = StageRecord(
            lead_id=self._input.lead_id,
            at=workflow.now(),
            from_stage=self._lead_stage,
            to_stage=stage,
            reason=reason,
            rep_id=self._rep.rep_id if self._rep else None,
        )
        self._lead_stage = stage
        return move

    async def _tell_lead(self, stage: Stage, reason: str, waiting_for_rep: bool = False) -> None:
        """Tell the lead its sales stage moved. A handoff that writes the stage itself
        (LEAD_WRITER) tells it only that nobody can take it, and that somebody did after all."""
        recorded = False
        if self._writes_lead:
            if not waiting_for_rep and not self._lead_waiting:
                return
            self._lead_waiting, recorded = waiting_for_rep, not waiting_for_rep
        parent = workflow.info().parent
        if parent is None:
            return
        progress = SalesProgress(
            stage=stage,
            reason=reason,
            rep_id=self._rep.rep_id if self._rep else None,
            handoff_id=self._input.handoff_id,
            waiting_for_rep=waiting_for_rep,
            recorded=recorded,
        )
        handle = workflow.get_external_workflow_handle(parent.workflow_id)
        try:
            await handle.signal(SALES_PROGRESS_SIGNAL, progress)
        except Exception as err:  # a lead closed by ops: the sales action itself stands
            workflow.logger.warning(
                "lead of %s not told of %s: %s", self._input.handoff_id, stage.value, err
            )

    async def _tell_lead_closed(self, result: HandoffResult) -> None:
        parent = workflow.info().parent
        if parent is None:
            return
        handle = workflow.get_external_workflow_handle(parent.workflow_id)
        try:
            await handle.signal(HANDOFF_CLOSED_SIGNAL, result)
        except Exception as err:  # a lead terminated by ops: the handoff still ends cleanly
            workflow.logger.warning("lead of %s not told of the end: %s", result.handoff_id, err)

    async def _record_sent(self, record: SentRecord) -> None:
        await self._write(ReadModelActivities.record_sent, record, f"sent {record.outbox_key}")

    async def _write(self, activity: Callable[[Any, R], None], record: R, what: str) -> None:
        """A read-model write; an hour of database outage must not fail the handoff."""
        try:
            await workflow.execute_local_activity_method(
                activity,
                record,
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                schedule_to_close_timeout=policies.RECORD_GIVE_UP_AFTER,
                retry_policy=policies.RECORD_RETRY,
            )
        except ActivityError as err:
            workflow.logger.error("handoff record %s given up: %s", what, err)

    async def _record(
        self,
        event: SlaEventKind,
        *,
        detail: str = "",
        reason: str | None = None,
        note: str = "",
        amount: Decimal | None = None,
        assignment_reason: str = "",
        lead: StageRecord | None = None,
    ) -> None:
        record = HandoffRecord(
            handoff_id=self._input.handoff_id,
            lead_id=self._input.lead_id,
            at=workflow.now(),
            event=event,
            status=self._status,
            rep_id=self._rep.rep_id if self._rep else None,
            priority=self._priority.name,
            score=self._input.score,
            deadline=self._deadline,
            reassignments=self._reassignments,
            reason=reason,
            note=note,
            amount=amount,
            detail=detail,
            assignment_reason=assignment_reason,
            lead_stage=lead,
        )
        if lead is None:
            await self._write(ReadModelActivities.record_handoff, record, event)
            return
        # Handlers overlap (an ack during a reassignment's write): the lead's row takes its
        # stage moves in the order they were made, as the lead's own writes were.
        async with self._lead_writes:
            await self._write(ReadModelActivities.record_handoff, record, event)


def _first_back(cause: BaseException | None) -> datetime | None:
    """When the first away rep returns, as the assignment activity reported it."""
    details = cause.details if isinstance(cause, ApplicationError) else ()
    try:
        return datetime.fromisoformat(str(details[0])) if details and details[0] else None
    except ValueError:
        return None
