"""The workflows a worker runs and a replayer checks, and the runner both run them in.

Three runners (`NURTURE_WORKFLOW_RUNNER`, README "Settings" says which to choose and why):

- `sandbox`: the SDK's sandbox, as it comes. It re-imports the workflow modules for every
  new run and proxies the restricted standard library; the rest of nurture's workflow code
  is passed through already (`imports_passed_through()` in workflows/), so the sandbox's
  guard covers only the code written in workflows/lead.py and workflows/handoff.py.
- `passthrough`: the sandbox with nurture's own modules, the workflow modules included,
  passed through: no re-import per run, the builtins still guarded. Safe because those
  modules keep no state between runs (module level holds constants, frozen tables and
  functions only) and nurture's static check covers their determinism.
- `unsandboxed`: the SDK's plain runner. The worker only starts with it once
  `nurture.scenario_check.check_workflow_code()` finds nothing, and every recorded history
  replays with it (`nurture replay`, tests/workflows/test_replay.py).
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from nurture.settings import DEFAULT_WORKFLOW_RUNNER, WorkflowRunnerKind
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

WORKFLOWS = [LeadWorkflow, SalesHandoffWorkflow]

# The holiday library is only used outside workflow code (see nurture/rules/business_time.py);
# passing it through keeps the sandbox from re-importing it for every run.
ALWAYS_PASSED = ("holidays",)
# nurture's own packages that workflow code imports: pure, stateless between runs.
OWN_PACKAGES = ("workflows", "nurture", "scenarios", "activities")


def workflow_runner(kind: WorkflowRunnerKind = DEFAULT_WORKFLOW_RUNNER) -> WorkflowRunner:
    """The runner every worker and replayer of this kind uses."""
    if kind == "unsandboxed":
        return UnsandboxedWorkflowRunner()
    passed = ALWAYS_PASSED + (OWN_PACKAGES if kind == "passthrough" else ())
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*passed)
    )
