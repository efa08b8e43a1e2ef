"""Goal 2 of the intake benchmark: the history events and billable actions one lead costs.

One sample lead (attributes worth 45 points) is created by `POST /v1/leads`; once its first
mail is at the sink and the worker is idle, a signed `pricing_page_view` (+15) takes it to
the MQL threshold (60), the handoff child starts and mails the rep, the rep (token
`dev-rep-1`) finds it in `GET /v1/handoffs` and acks it with `POST /v1/handoffs/{id}/ack`.
Once the worker is idle again both histories are read with `temporal workflow show -o json`.

Counted:

- events to the first mail: the lead's history up to and including the `ActivityTaskCompleted`
  of its first `send_step` (the mail is at the sink before that event is written, so this
  is the history that records it as sent), by event type; also its length once the lead
  is at rest after that mail (the workflow task that follows and what it records), and
  the same two for a reference workflow;
- billable actions to the ack: the lead's and the handoff child's whole histories once the
  ack has settled (the ack and the work it causes), by action, under this rule after
  Temporal Cloud's "Actions" page:

  | event | actions |
  |---|---|
  | WorkflowExecutionStarted (client start, signal-/update-with-start, child, continue-as-new) | 1 |
  | WorkflowExecutionSignaled (from a client or a workflow) | 1 |
  | SignalExternalWorkflowExecutionInitiated to a workflow outside the two counted | 1 |
  | WorkflowExecutionUpdateAccepted (an update the worker took) | 1 |
  | ActivityTaskScheduled, plus one per retry (ActivityTaskStarted's attempt − 1) | 1 + retries |
  | MarkerRecorded of a local activity: all local activities of one workflow task | 1 per task |
  | TimerStarted (explicit sleeps and the timers behind timeouts) | 1 |
  | UpsertWorkflowSearchAttributes (one per command, however many attributes) | 1 |
  | StartChildWorkflowExecutionInitiated | 0 (the child's WorkflowExecutionStarted counts) |
  | workflow tasks, activity completions, other markers (patches), memo changes | 0 |

  An upsert of TemporalChangeVersion alone is exempt. Not in a history, so not counted:
  queries, recorded heartbeats, rejected updates (refused by the worker's validator), and
  the API's own visibility calls.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ingest_http import HttpPool
from ingest_load import WARM
from ingest_read_model import wait_quiet
from ingest_stack import REP, BenchError, Stack
from intake_load import IntakeBench
from intake_reference_workflow import ACTIVITY_NAME

from nurture import signing
from nurture.binaries import find_binary
from nurture.models import EventType, lead_workflow_id
from nurture.settings import DEV_WEBHOOK_SECRET

ONE_ACTION = (
    "WorkflowExecutionStarted",
    "WorkflowExecutionSignaled",
    "WorkflowExecutionUpdateAccepted",
    "TimerStarted",
)
REP_TOKEN = {"Authorization": "Bearer dev-rep-1"}  # the first configured rep, in dev
QUALIFYING_EVENT = EventType.PRICING_PAGE_VIEW  # +15: 45 -> 60, the MQL threshold


def event_type(event: dict[str, Any]) -> str:
    """`EVENT_TYPE_ACTIVITY_TASK_SCHEDULED` (or already `ActivityTaskScheduled`) as the latter."""
    raw = str(event.get("eventType", "?"))
    if raw.isupper() or "_" in raw:
        raw = raw.removeprefix("EVENT_TYPE_")
        return "".join(part.capitalize() for part in raw.split("_"))
    return raw[0].upper() + raw[1:]


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventAttributes") and isinstance(value, dict):
            return value
    return {}


async def show(stack: Stack, workflow_id: str) -> list[dict[str, Any]]:
    """The workflow's history from `temporal workflow show -o json`."""
    proc = await asyncio.create_subprocess_exec(
        find_binary("temporal"),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        stack.temporal_address,
        "--namespace",
        stack.settings().temporal_namespace,
        "-o",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise BenchError(f"temporal workflow show {workflow_id}: {err.decode()[:300]}")
    data = json.loads(out)
    events = data.get("events", data) if isinstance(data, dict) else data
    return list(events)


def until_first_mail(
    events: list[dict[str, Any]], activity_name: str = "send_step"
) -> list[dict[str, Any]]:
    """The events up to the completion of the first `activity_name` activity (the mail)."""
    send_id = None
    for ev in events:
        kind, attrs = event_type(ev), attributes(ev)
        name = attrs.get("activityType", {}).get("name")
        if kind == "ActivityTaskScheduled" and name == activity_name:
            send_id = str(ev.get("eventId"))
        if (
            kind == "ActivityTaskCompleted"
            and send_id is not None
            and str(attrs.get("scheduledEventId")) == send_id
        ):
            return events[: events.index(ev) + 1]
    raise BenchError(f"no completed {activity_name} in the history")


def billable_actions(events: list[dict[str, Any]], counted_ids: set[str]) -> Counter[str]:
    """Actions by kind, under the rule in this module's docstring."""
    actions: Counter[str] = Counter()
    marker_task: str | None = None  # the workflow task whose local activities were counted
    last_task: str | None = None
    for ev in events:
        kind, attrs = event_type(ev), attributes(ev)
        if kind == "WorkflowTaskCompleted":
            last_task = str(ev.get("eventId"))
        elif kind in ONE_ACTION:
            actions[kind] += 1
        elif kind == "SignalExternalWorkflowExecutionInitiated":
            target = attrs.get("workflowExecution", {}).get("workflowId")
            if target not in counted_ids:
                actions[kind] += 1
        elif kind == "ActivityTaskScheduled":
            actions[f"ActivityTaskScheduled ({attrs.get('activityType', {}).get('name')})"] += 1
        elif kind == "ActivityTaskStarted":
            retries = int(attrs.get("attempt", 1)) - 1
            if retries > 0:
                actions["activity retries"] += retries
        elif kind == "MarkerRecorded" and is_local_activity(attrs):
            if marker_task != last_task:
                actions["local activities (one per workflow task)"] += 1
                marker_task = last_task
        elif kind == "UpsertWorkflowSearchAttributes":
            fields = attrs.get("searchAttributes", {}).get("indexedFields", {})
            if set(fields) != {"TemporalChangeVersion"}:
                actions[kind] += 1
    return actions


LOCAL_ACTIVITY_MARKERS = ("core_local_activity", "LocalActivity")  # sdk-core, older SDKs
ACTIVITY_TYPE = re.compile(r'"activity_?[tT]ype"\s*:\s*"([^"]+)"')


def is_local_activity(attrs: dict[str, Any]) -> bool:
    return attrs.get("markerName") in LOCAL_ACTIVITY_MARKERS


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def local_activity_names(events: list[dict[str, Any]]) -> Counter[str]:
    """Local activities by type, from their markers' details (base64 JSON payloads)."""
    names: Counter[str] = Counter()
    for ev in events:
        attrs = attributes(ev)
        if event_type(ev) != "MarkerRecorded" or not is_local_activity(attrs):
            continue
        found = "?"
        for text in _strings(attrs.get("details", {})):
            candidates = [text]
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                candidates.append(base64.b64decode(text, validate=True).decode())
            for candidate in candidates:
                match = ACTIVITY_TYPE.search(candidate)
                if match:
                    found = match[1]
        names[found] += 1
    return names


@dataclass
class Counts:
    lead_workflow_id: str
    handoff_workflow_id: str
    events_to_first_mail: int
    events_to_first_mail_by_type: dict[str, int]
    events_at_rest_after_first_mail: int
    reference_workflow_id: str
    reference_events_to_first_mail: int
    reference_events_at_rest: int
    reference_events_by_type: dict[str, int]
    reference_billable_actions: int
    lead_events_to_ack: int
    handoff_events_to_ack: int
    events_to_ack_by_type: dict[str, int]
    billable_actions_to_ack: int
    billable_actions_by_kind: dict[str, int]
    local_activity_markers_to_ack: int
    local_activities_by_type: dict[str, int]
    timings_s: dict[str, float] = field(default_factory=dict)


async def wait_rep_mail(bench: IntakeBench, before: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rep_mails = [m for m in bench.stack.sink.messages if REP[1] in m.envelope_to]
        if len(rep_mails) > before:
            return
        await asyncio.sleep(0.05)
    raise BenchError(f"no rep mail within {timeout:.0f} s (see the worker log)")


async def count_sample_lead(bench: IntakeBench, reference_id: str) -> Counts:
    """Goal 2's counts for one new lead, and the same for the reference workflow
    `reference_id` (a finished first mail, asleep on its timer)."""
    stack, http = bench.stack, bench.http
    timings: dict[str, float] = {}
    (email,) = bench.addresses("sample", 1)
    t0 = time.time()
    r = await http.post_json("/v1/leads", bench.lead_body(email, **WARM), bench.admin)
    if r.status != 201:
        raise BenchError(f"POST /v1/leads answered {r.status}: {r.text[:300]}")
    lead_id = r.json()["id"]
    timings["post_to_first_mail"] = round(await bench.mails.wait(email) - t0, 3)
    await wait_quiet(stack, timeout=60.0)
    at_rest = len(await show(stack, lead_workflow_id(lead_id)))
    before = len([m for m in stack.sink.messages if REP[1] in m.envelope_to])
    event = {"event_id": f"intake-{bench.run_tag}-mql", "lead_id": lead_id}
    event["type"] = QUALIFYING_EVENT.value
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {signing.HEADER: signing.sign(body, DEV_WEBHOOK_SECRET)}
    headers["Content-Type"] = "application/json"
    t1 = time.time()
    r = await http.request("POST", "/v1/events", body, headers)
    if r.status != 202:
        raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")
    await wait_rep_mail(bench, before)
    timings["mql_event_to_rep_mail"] = round(time.time() - t1, 3)
    handoff_id = await find_handoff(http, lead_id)
    t2 = time.time()
    r = await http.request("POST", f"/v1/handoffs/{handoff_id}/ack", b"", REP_TOKEN)
    if r.status != 200:
        raise BenchError(f"POST /v1/handoffs/{handoff_id}/ack answered {r.status}: {r.text}")
    timings["ack_request"] = round(time.time() - t2, 3)
    await wait_quiet(stack, timeout=60.0)
    lead_wf = lead_workflow_id(lead_id)
    lead_events = await show(stack, lead_wf)
    child_ids = [
        attributes(ev).get("workflowId")
        for ev in lead_events
        if event_type(ev) == "StartChildWorkflowExecutionInitiated"
    ]
    if not child_ids:
        raise BenchError("the lead's history started no handoff child")
    child_wf = str(child_ids[-1])
    child_events = await show(stack, child_wf)
    first = until_first_mail(lead_events)
    both = lead_events + child_events
    actions = billable_actions(lead_events, {lead_wf, child_wf}) + billable_actions(
        child_events, {lead_wf, child_wf}
    )
    markers = local_activity_names(both)
    ref_events = await show(stack, reference_id)
    ref_first = until_first_mail(ref_events, ACTIVITY_NAME)
    return Counts(
        lead_workflow_id=lead_wf,
        handoff_workflow_id=child_wf,
        events_to_first_mail=len(first),
        events_to_first_mail_by_type=dict(Counter(event_type(e) for e in first).most_common()),
        events_at_rest_after_first_mail=at_rest,
        reference_workflow_id=reference_id,
        reference_events_to_first_mail=len(ref_first),
        reference_events_at_rest=len(ref_events),
        reference_events_by_type=dict(Counter(event_type(e) for e in ref_events).most_common()),
        reference_billable_actions=sum(billable_actions(ref_events, {reference_id}).values()),
        lead_events_to_ack=len(lead_events),
        handoff_events_to_ack=len(child_events),
        events_to_ack_by_type=dict(Counter(event_type(e) for e in both).most_common()),
        billable_actions_to_ack=sum(actions.values()),
        billable_actions_by_kind=dict(actions.most_common()),
        local_activity_markers_to_ack=sum(markers.values()),
        local_activities_by_type=dict(markers.most_common()),
        timings_s=timings,
    )


async def find_handoff(http: HttpPool, lead_id: str, timeout: float = 30.0) -> str:
    """The id of the lead's handoff, as its rep sees it in `GET /v1/handoffs`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await http.get("/v1/handoffs", REP_TOKEN)
        if r.status != 200:
            raise BenchError(f"GET /v1/handoffs answered {r.status}: {r.text[:300]}")
        for item in r.json()["items"]:
            if item["lead_id"] == lead_id:
                return str(item["id"])
        await asyncio.sleep(0.2)
    raise BenchError(f"the rep has no handoff for lead {lead_id} within {timeout:.0f} s")
