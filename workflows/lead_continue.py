"""When a lead's run hands over to the next one (continue-as-new), and what it hands.

A lead lives for months and takes thousands of signals; its run continues-as-new when the
server suggests it (or a test's history limit is reached), at a moment when no activity
or handler is in flight. The next run starts from `next_run`: the lead and its state as
they are, so waits, deadlines, the score, the event de-duplication window and the running
scenario's journal all carry over.
"""

from __future__ import annotations

from typing import NoReturn

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.lead_state import LeadInput, LeadState, ThisRun, next_run


class LeadContinuation:
    """Says when the run should hand over, and hands over."""

    __slots__ = ("_lead", "_run", "_state")

    def __init__(self, lead: LeadInput, state: LeadState, this_run: ThisRun) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run

    def wanted(self) -> bool:
        """Time for a new run: new work waits for it (and is carried) from now on."""
        if not self._run.long_lived:
            return False  # leads started before LONG_LIVED never continue (lead_legacy)
        info = workflow.info()
        limit = self._lead.continue_as_new_after
        return info.is_continue_as_new_suggested() or (
            limit is not None and info.get_current_history_length() >= limit
        )

    def due(self) -> bool:
        """Time for a new run, and a moment when nothing is in flight."""
        return self.wanted() and self._run.busy == 0 and workflow.all_handlers_finished()

    def continue_as_new(self) -> NoReturn:
        workflow.logger.info(
            "lead %s continues as new after %s events of history (run %s)",
            self._lead.lead_id,
            workflow.info().get_current_history_length(),
            self._state.runs,
        )
        workflow.continue_as_new(next_run(self._lead, self._state))
