"""Replaying workflow histories against today's code: `nurture replay`.

A lead in flight replays its history through the code of whatever worker picks it up.
A change that alters what the workflow does before the point a lead has reached breaks
that lead (a non-determinism error). Run this before deploying: on the histories kept in
`tests/histories/`, and on histories exported from production (`--query`).

It also answers the question workflows/lead_legacy.py leaves to ops: do running leads
still take the path of leads started before the `lead-long-lived-v2` patch?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from nurture.settings import WorkflowRunnerKind

LEAD_WORKFLOW = "LeadWorkflow"
PATCH_MARKER = "core_patch"  # the marker `workflow.patched` records (its details name the patch)
CLOSING = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


class HistoryFileError(Exception):
    """A history file that cannot be read or is not a workflow history."""


@dataclass(frozen=True)
class Replayed:
    name: str
    workflow_type: str
    events: int
    failure: str | None  # None: replays cleanly
    running: bool  # the history ends without the run closing: the run is still in flight
    # A lead's run that took the pre-patch path (workflows/lead_legacy.py); None when that
    # is not decided yet (no workflow task done: today's code takes the new path) or the
    # history is not a lead's.
    pre_patch: bool | None


@dataclass(frozen=True)
class Fetched:
    histories: list[WorkflowHistory]
    more: bool  # the query listed more workflows than the limit: some were not fetched


def history_files(paths: Iterable[Path]) -> list[Path]:
    """The JSON files named, and those inside the directories named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.glob("*.json"))
        elif path.is_file():
            found.append(path)
        else:
            raise HistoryFileError(f"{path}: no such file or directory")
    return found


def load_history(path: Path) -> WorkflowHistory:
    try:
        return WorkflowHistory.from_json(path.stem, path.read_text())
    except OSError as err:
        raise HistoryFileError(f"{path}: cannot read ({err.strerror})") from None
    except Exception as err:  # the SDK raises several types for a non-history JSON
        raise HistoryFileError(f"{path}: not a workflow history exported as JSON ({err})") from None


async def from_server(
    client: Client, query: str | None, workflow_ids: list[str], limit: int
) -> Fetched:
    """Histories of `workflow_ids` and of the workflows `query` lists (at most `limit`)."""
    histories = [await client.get_workflow_handle(w).fetch_history() for w in workflow_ids]
    if query is None:
        return Fetched(histories, more=False)
    count = 0
    async for execution in client.list_workflows(query):
        if count >= limit:
            return Fetched(histories, more=True)
        count += 1
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        histories.append(await handle.fetch_history())
    return Fetched(histories, more=False)


def workflow_type(history: WorkflowHistory) -> str:
    first = history.events[0] if history.events else None
    if first is None:
        return "?"
    return first.workflow_execution_started_event_attributes.workflow_type.name or "?"


def is_running(history: WorkflowHistory) -> bool:
    return bool(history.events) and history.events[-1].event_type not in CLOSING


def patches(history: WorkflowHistory) -> set[str]:
    """The patches this run's code said yes to (`workflow.patched` records a marker then)."""
    found: set[str] = set()
    converter = pydantic_data_converter.payload_converter
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name != PATCH_MARKER or "patch-data" not in marker.details:
            continue
        for payload in marker.details["patch-data"].payloads:
            data = converter.from_payload(payload)
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                found.add(data["id"])
    return found


def took_pre_patch_path(history: WorkflowHistory) -> bool | None:
    """Whether a lead's run takes the path of leads from before LONG_LIVED.

    Every run of today's lead workflow asks `workflow.patched(LONG_LIVED)` in its first
    workflow task (unless it took `lead-account-handoff`, `lead-fit-engagement` or
    `lead-records-batched`, which imply it), and a yes is
    recorded as a marker; a replay answers from the history. So a run whose first task
    completed without either marker replays the pre-patch path, and one with no task
    completed yet will take the new path.
    """
    from workflows.lead_account import ACCOUNT_HANDOFF
    from workflows.lead_legacy import LONG_LIVED
    from workflows.lead_records import BATCHED, FIT_AXES

    if workflow_type(history) != LEAD_WORKFLOW:
        return None
    if {LONG_LIVED, BATCHED, FIT_AXES, ACCOUNT_HANDOFF} & patches(history):
        return False
    done = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return True if any(e.event_type == done for e in history.events) else None


async def replay(
    histories: Iterable[tuple[str, WorkflowHistory]], runner: WorkflowRunnerKind
) -> list[Replayed]:
    """Replay each history with today's workflows in the worker's runner (`runner`, from
    NURTURE_WORKFLOW_RUNNER); failures are reported, not raised."""
    from workflows.registry import WORKFLOWS, workflow_runner

    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(runner),
    )
    results = []
    for name, history in histories:
        outcome = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = outcome.replay_failure
        results.append(
            Replayed(
                name=name,
                workflow_type=workflow_type(history),
                events=len(history.events),
                failure=f"{type(failure).__name__}: {failure}" if failure else None,
                running=is_running(history),
                pre_patch=took_pre_patch_path(history),
            )
        )
    return results


def legacy_verdict(results: list[Replayed], more: bool, limit: int) -> list[str]:
    """What the histories fetched from the server say about deleting lead_legacy.py."""
    from workflows.lead_legacy import NOT_BEFORE

    leads = [r for r in results if r.workflow_type == LEAD_WORKFLOW and r.running]
    old = [r.name for r in leads if r.pre_patch]
    lines = [f"running leads on the pre-patch path: {len(old)} of {len(leads)}"]
    lines += [f"     {name}" for name in old]
    if more:
        lines.append(f"the query lists more than {limit} workflows: raise --limit to decide")
    if old or more:
        lines.append("keep workflows/lead_legacy.py")
    else:
        lines.append(
            "no running lead takes the pre-patch path: workflows/lead_legacy.py may go, "
            f"not before {NOT_BEFORE:%Y-%m-%d} (its docstring says how)"
        )
    return lines
