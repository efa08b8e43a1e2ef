"""How a lead carries its account to sales as a whole.

When a lead's engagement rises far enough that its account's buying group may be ready
(scenarios/scoring.py BUYING_GROUP), it asks: a local activity claims the account, at most
once while it is with sales, in one transaction under the account's lock. The claim
qualifies this lead though its own score may be under the MQL rule; its handoff is the
account's, and the rep's mail and pages list the engaged people. When that handoff ends
the claim ends with it. Later leads of the account go to the same rep meanwhile (the
assignment prefers the rep who holds the account).

What the rule says is the activity's answer, kept by history: a review of the rule
changes later answers only. The lead knows from the answer when asking is worth it: on
each rise of its engagement over `ask_from` (the group's threshold, less one). A new
lead's starter answers first, so a lead of no account never asks.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from nurture.models import (
        NOT_HANDED,
        AccountCheck,
        AccountClaim,
        AccountHandoffEnd,
    )
    from workflows import policies
    from workflows.lead_records import LeadRecords
    from workflows.lead_state import LeadInput, LeadState, ThisRun

# Patch (2026-12-02, issue 14): an engaged lead asks whether its account's buying group is
# ready, and may qualify by it. Runs that take it take FIT_AXES and every older patch of
# the lead (run() and _until_ready ask for it first): still one marker per run.
ACCOUNT_HANDOFF = "lead-account-handoff"


class LeadAccount:
    """Asks for the account's claim when the lead's engagement rises, and ends it."""

    __slots__ = ("_lead", "_records", "_run", "_state")

    def __init__(
        self, lead: LeadInput, state: LeadState, this_run: ThisRun, *, records: LeadRecords
    ) -> None:
        self._lead = lead
        self._state = state
        self._run = this_run
        self._records = records

    def told_at_start(self, told: AccountClaim | None) -> None:
        """A new lead's starter answered the first check already (None: an older one)."""
        if not self._run.accounts or told is None:
            return
        self._state.no_account = told.account_id is None
        self._state.account_ask_from = told.ask_from

    async def consider(self, before: int | None) -> None:
        """After a scoring step: ask, if this lead's engagement rose (from `before`) where it
        could make the group ready."""
        state = self._state
        if not self._run.accounts or state.no_account or not state.may_qualify():
            return
        engagement = state.engagement
        if engagement is None or engagement <= max(state.account_ask_from, before or 0):
            return
        await self._records.flush()  # the others' checks read this lead's engagement
        check = AccountCheck(lead_id=self._lead.lead_id, engagement=engagement, at=workflow.now())
        try:
            with self._records.in_flight():
                claim: AccountClaim = await workflow.execute_local_activity_method(
                    AccountActivities.check_account,
                    check,
                    start_to_close_timeout=policies.ACCOUNT_CHECK_TIMEOUT,
                    schedule_to_close_timeout=policies.ACCOUNT_CHECK_GIVE_UP_AFTER,
                    retry_policy=policies.RECORD_RETRY,
                )
        except ActivityError as err:  # asked again on the next rise
            workflow.logger.error("account check given up: %s", err)
            return
        if claim.account_id is None:
            state.no_account = True
            return
        state.account_ask_from = claim.ask_from
        if not claim.claimed:
            return
        stopped = self._run.stopping is not None or not (state.may_qualify() or state.qualified)
        if stopped:  # while it asked: the account is not handed after all
            state.account_group = claim.leads
            await self.end(NOT_HANDED)
            return
        state.account_group, state.account_why = claim.leads, claim.why
        state.qualified = True

    async def end(self, outcome: str) -> None:
        """The claim ends (NOT_HANDED: is taken back); nothing for a lead that holds none."""
        state = self._state
        if not state.account_group:
            return
        end = AccountHandoffEnd(lead_id=self._lead.lead_id, at=workflow.now(), outcome=outcome)
        try:
            with self._records.in_flight():
                await workflow.execute_local_activity_method(
                    AccountActivities.end_account_handoff,
                    end,
                    start_to_close_timeout=policies.RECORD_TIMEOUT,
                    schedule_to_close_timeout=policies.ACCOUNT_END_GIVE_UP_AFTER,
                    retry_policy=policies.RECORD_RETRY,
                )
        except ActivityError as err:  # `nurture leads resume` of the lead would end it
            workflow.logger.error("account handoff end given up: %s", err)
        state.account_group, state.account_why = [], ""
