"""The workflows a worker runs and a replayer checks, and the sandbox both run them in."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

WORKFLOWS = [LeadWorkflow, SalesHandoffWorkflow]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox every worker and replayer uses."""
    # The holiday library is only used outside workflow code (see nurture/rules/business_time.py);
    # passing it through keeps the sandbox from re-importing it for every run.
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("holidays")
    )
