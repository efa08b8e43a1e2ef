"""Replaying workflow histories against today's code: `nurture replay`.

A lead in flight replays its history through the code of whatever worker picks it up.
A change that alters what the workflow does before the point a lead has reached breaks
that lead (a non-determinism error). Run this before deploying: on the histories kept in
`tests/histories/`, and on histories exported from production (`--query`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer


class HistoryFileError(Exception):
    """A history file that cannot be read or is not a workflow history."""


@dataclass(frozen=True)
class Replayed:
    name: str
    workflow_type: str
    events: int
    failure: str | None  # None: replays cleanly


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
) -> AsyncIterator[WorkflowHistory]:
    """Histories of the workflows `query` lists (at most `limit`) and of `workflow_ids`."""
    for workflow_id in workflow_ids:
        yield await client.get_workflow_handle(workflow_id).fetch_history()
    if query is None:
        return
    count = 0
    async for execution in client.list_workflows(query):
        if count >= limit:
            return
        count += 1
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        yield await handle.fetch_history()


def _workflow_type(history: WorkflowHistory) -> str:
    first = history.events[0] if history.events else None
    if first is None:
        return "?"
    return first.workflow_execution_started_event_attributes.workflow_type.name or "?"


async def replay(histories: Iterable[tuple[str, WorkflowHistory]]) -> list[Replayed]:
    """Replay each history with today's workflows; failures are reported, not raised."""
    from workflows.registry import WORKFLOWS, workflow_runner

    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )
    results = []
    for name, history in histories:
        outcome = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failure = outcome.replay_failure
        results.append(
            Replayed(
                name=name,
                workflow_type=_workflow_type(history),
                events=len(history.events),
                failure=f"{type(failure).__name__}: {failure}" if failure else None,
            )
        )
    return results
