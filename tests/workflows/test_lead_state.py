"""A lead's knowledge must survive continue-as-new: all of it, every run.

The lead workflow keeps what it knows in two objects, `lead` (LeadInput) and `state`
(LeadState), and hands them to the next run as they are (`next_run`). Two ways to lose
something at continue-as-new remain, and a test for each: a field that does not survive
the trip through the data converter, and knowledge kept somewhere else on the workflow.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    Replayer,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from nurture.authoring.journal import CARRIED_EVENTS
from nurture.authoring.state import JournalEntry, LoggedEvent, ScenarioRun
from nurture.models import (
    AccountClaim,
    BehaviourEvent,
    HandoffResult,
    HandoffStatus,
    LeadProfile,
    Stage,
)
from nurture.rules.score_state import ScoreOutcome, ScoreState
from workflows.lead_state import LeadInput, LeadState, Phase, ThisRun, next_run
from workflows.registry import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))
CONVERTER = pydantic_data_converter.payload_converter
AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def _event(n: int) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"evt-{n}", type="pricing_page_view", occurred_at=AT, properties={"path": "/p"}
    )


def a_lead_with_everything_set() -> LeadInput:
    """A lead and its state with every field, nested ones too, away from its default."""
    state = LeadState(
        runs=4,
        phase=Phase.HANDOFF,
        stage=Stage.SALES_ACCEPTED,
        step="case-studies",
        score=ScoreState(
            breakdown={"decision_maker": 20, "pricing_page_view": 15},
            once_keys=["email_open:m-1"],
            last_activity_at=AT,
            decayed_at=AT - timedelta(days=91),
            next_decay_at=AT + timedelta(days=90),
            above=True,
            crossings=2,
        ),
        score_version=17,
        fit_grade="B",
        engagement=35,
        seen=["0a1b2c", "3d4e5f"],
        inbox=[_event(2)],
        events_total=41,
        recent_events=[LoggedEvent(seq=41, applied_at=AT, event=_event(1))],
        qualified=True,
        handoffs=2,
        active_handoff="handoff-x-2",
        waiting_for_rep=True,
        closed_handoff=HandoffResult(
            handoff_id="handoff-x-1",
            status=HandoffStatus.REJECTED,
            rep_id="rep-1",
            lead_stage=Stage.SALES_ACCEPTED,
        ),
        rep_id="rep-2",
        mail_stopped=True,
        marketing_sends=[AT - timedelta(days=1), AT],
        deferred_note="whitepaper/hearing deferred to 2026-12-01 09:00 JST: business hours",
        enrolment=3,
        enrolled_at=AT - timedelta(days=60),
        run=ScenarioRun(
            scenario="webinar",
            enrolment=3,
            started_at=AT - timedelta(days=2),
            events_mark=39,
            journal=[
                JournalEntry(
                    op="wait_for",
                    key="webinar_attended",
                    until=AT + timedelta(hours=3),
                    mark=39,
                    result=True,
                    done=False,
                )
            ],
        ),
        entered={"whitepaper": AT - timedelta(days=60), "webinar": AT - timedelta(days=2)},
        switch_to="newsletter",
        switch_why="webinar reached its goal (a meeting booked)",
        splits={"subject-line": "short"},
        verify_handoff=True,
        intakes=3,
        no_account=True,
        account_ask_from=19,
        account_group=["5f84aeba-0000-4000-8000-000000000001", "5f84aeba-0000-4000-8000-0002"],
        account_why="the account's buying group is ready: 2 people engaged (20 or more each)",
    )
    return LeadInput(
        lead_id="5f84aeba-0000-4000-8000-000000000001",
        scenario="webinar",
        profile=LeadProfile(
            job_title="CEO",
            industry="Manufacturing",
            company_size=500,
            source="wp-2026",
            timezone="Asia/Tokyo",
            attributes={"webinar_ends_at": "2026-12-01T12:00:00+09:00"},
            email_kind="business",
        ),
        send_window=False,
        continue_as_new_after=150,
        carry=state,
    )


def fields_at_default(model: BaseModel, path: str = "") -> Iterator[str]:
    """Every field of `model` and of the models inside it that still has its default."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if not info.is_required() and value == info.get_default(call_default_factory=True):
            yield f"{path}{name}"
        if isinstance(value, BaseModel):
            yield from fields_at_default(value, f"{path}{name}.")
        elif isinstance(value, list | dict):
            inside = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in inside:
                if isinstance(item, BaseModel):
                    yield from fields_at_default(item, f"{path}{name}[{key}].")


def through_the_converter(value: LeadInput) -> LeadInput:
    """What the next run decodes of what this run hands to continue-as-new."""
    [decoded] = CONVERTER.from_payloads(CONVERTER.to_payloads([value]), [LeadInput])
    assert isinstance(decoded, LeadInput)
    return decoded


def test_every_field_survives_continue_as_new() -> None:
    lead = a_lead_with_everything_set()
    state = lead.carry
    assert state is not None
    # A field added to LeadState (or to a model inside it) must be set here too, so that
    # the trip below proves it survives: a default proves nothing.
    # The intake's score and the account at start are a new lead's first task's alone:
    # next_run drops them.
    assert list(fields_at_default(lead)) == ["intake_score", "account"]
    assert not LeadState.__private_attributes__ and not LeadInput.__private_attributes__
    lead.intake_score = ScoreOutcome(state=state.score, crossed=True)
    lead.account = AccountClaim(account_id="6f1c9f3e-0000-5000-8000-000000000001", ask_from=19)

    arrived = through_the_converter(next_run(lead, state))

    one_run_on = state.model_copy(update={"runs": state.runs + 1})
    assert arrived.intake_score is None and arrived.account is None
    assert arrived == lead.model_copy(
        update={"carry": one_run_on, "intake_score": None, "account": None}
    )
    assert arrived.carry is not None and arrived.carry.model_dump() == one_run_on.model_dump()


def test_the_scenarios_look_back_is_cut_to_what_a_resumed_scenario_reads() -> None:
    lead = a_lead_with_everything_set()
    assert lead.carry is not None
    lead.carry.recent_events = [
        LoggedEvent(seq=n, applied_at=AT, event=_event(n)) for n in range(1, 501)
    ]
    lead.carry.events_total = 500

    arrived = through_the_converter(next_run(lead, lead.carry)).carry

    assert arrived is not None and arrived.events_total == 500
    assert [e.seq for e in arrived.recent_events] == list(range(501 - CARRIED_EVENTS, 501))
    assert len(lead.carry.recent_events) == 500  # the run itself still looks back on all


def _lead_starts() -> list[tuple[str, dict[str, Any]]]:
    starts = []
    for path in HISTORIES:
        first = json.loads(path.read_text())["events"][0]
        started = first["workflowExecutionStartedEventAttributes"]
        if started["workflowType"]["name"] == "LeadWorkflow":
            starts.append((path.stem, started["input"]["payloads"][0]))
    return starts


def test_inputs_and_carries_written_by_earlier_code_decode_to_the_same_wire_shape() -> None:
    """Every run start in the recorded histories, carries from continue-as-new and from
    `nurture leads resume` among them, decodes, and encodes back to the JSON it was: the
    same names and values, plus only the fields added since, at their defaults."""
    carries = 0
    for path in HISTORIES:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        started = history.events[0].workflow_execution_started_event_attributes
        if started.workflow_type.name != "LeadWorkflow":
            continue
        [raw] = started.input.payloads
        [decoded] = CONVERTER.from_payloads([raw], [LeadInput])
        [again] = CONVERTER.to_payloads([decoded])
        written, rewritten = json.loads(raw.data), json.loads(again.data)
        assert _kept(written, rewritten), path.stem
        carries += written.get("carry") is not None
    assert carries >= 4  # continued runs and a resumed one


def _kept(written: Any, rewritten: Any) -> bool:
    """`rewritten` says all that `written` said, in the same shape."""
    if isinstance(written, dict):
        return isinstance(rewritten, dict) and all(
            k in rewritten and _kept(v, rewritten[k]) for k, v in written.items()
        )
    if isinstance(written, list):
        return (
            isinstance(rewritten, list)
            and len(written) == len(rewritten)
            and all(_kept(a, b) for a, b in zip(written, rewritten, strict=True))
        )
    return bool(written == rewritten)


# --- nothing outside `lead` and `state` --------------------------------------------------

HELPERS = {
    "events",
    "records",
    "mail",
    "scenarios",
    "continuation",
    "legacy",
    "account",
    "scoring",
    "handoff",
    "stop_run",
}
# What a run keeps to itself, and why none of it may cross to the next run: see ThisRun.
PER_RUN = [
    "ready",
    "long_lived",
    "batched",
    "axes",
    "accounts",
    "busy",
    "indexed",
    "held",
    "held_total",
    "settling",
    "flushing",
    "stopping",
    "halted",
    "seen_ids",
    "processor",
    "scenario_task",
    "child",
]
SEEN: list[tuple[str, dict[str, Any]]] = []


def test_what_a_run_keeps_to_itself_is_declared() -> None:
    """A new ThisRun field dies with the run: if the next run needs it, it belongs in
    LeadState; if it does not, add it here with the reason in ThisRun."""
    assert [f.name for f in dataclasses.fields(ThisRun)] == PER_RUN


def _attributes(obj: object) -> dict[str, Any]:
    names = set(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names.update([slots] if isinstance(slots, str) else slots)
    return {n: getattr(obj, n) for n in names if hasattr(obj, n)}


def _look() -> None:
    lead = workflow.instance()
    if type(lead).__name__ == "LeadWorkflow":
        SEEN.append((workflow.info().workflow_id, _attributes(lead)))


def _is_lead(history: WorkflowHistory) -> bool:
    started = history.events[0].workflow_execution_started_event_attributes
    return started.workflow_type.name == "LeadWorkflow"


class _Outbound(WorkflowOutboundInterceptor):
    """Looks at the lead workflow as it calls out: mid-run, mid-handler."""

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        _look()
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        _look()
        return super().start_local_activity(input)


class _Inbound(WorkflowInboundInterceptor):
    """Looks at the lead workflow after its run and after every handler (on replay)."""

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        try:
            result = await super().execute_workflow(input)
        except workflow.ContinueAsNewError:
            _look()  # the moment it matters most
            raise
        _look()
        return result

    async def handle_signal(self, input: HandleSignalInput) -> None:
        await super().handle_signal(input)
        _look()

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        result = await super().handle_update_handler(input)
        _look()
        return result


class _LookAtTheLead(Interceptor):
    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound


async def test_the_workflow_keeps_nothing_outside_lead_and_state() -> None:
    """Replays every recorded history (continued runs, handoffs, stops, pre-patch leads) and
    looks at the workflow at every activity call and after each run and handler: its
    attributes are `lead`, `state`, `this_run` and the helpers, and the helpers hold nothing
    but those same objects."""
    SEEN.clear()
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
        interceptors=[_LookAtTheLead()],
    )
    histories = [WorkflowHistory.from_json(p.stem, p.read_text()) for p in HISTORIES]
    for history in histories:
        await replayer.replay_workflow(history)

    leads = {h.workflow_id for h in histories if _is_lead(h)}
    assert {workflow_id for workflow_id, _ in SEEN} == leads  # every lead was looked at
    for _, attributes in SEEN:
        assert set(attributes) == {"lead", "state", "this_run", *HELPERS}
        lead, state = attributes["lead"], attributes["state"]
        assert lead.carry is None or lead.carry is state  # one state, never a copy of it
        shared = {id(v) for v in attributes.values()}
        for name in HELPERS:
            helper = attributes[name]
            for field, value in _attributes(helper).items():
                if (type(helper).__name__, field) == ("StateEvents", "_keep"):
                    continue  # a bound, not knowledge
                assert id(value) in shared, f"{name}.{field} holds its own {type(value).__name__}"
