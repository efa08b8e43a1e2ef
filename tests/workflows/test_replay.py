"""Today's workflow code must replay the histories recorded from earlier code.

A failure here means a change would break leads already in flight: guard it with
`workflow.patched(...)` (see the README) instead of changing the recorded histories.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from nurture.settings import WorkflowRunnerKind
from workflows.registry import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 3


# Every runner NURTURE_WORKFLOW_RUNNER may choose: unsandboxed is allowed only because these
# replay with it too.
@pytest.mark.parametrize("runner", get_args(WorkflowRunnerKind))
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path, runner: WorkflowRunnerKind) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(runner),
    )
    await replayer.replay_workflow(history)
