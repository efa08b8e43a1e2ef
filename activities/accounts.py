"""An account handed to sales as a whole: the check an engaged lead makes, and its end.

Local activities of the lead workflow; the claim itself is nurture.repo.account_handoffs's
(one transaction under the account's lock).
"""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from temporalio import activity

from nurture.db import session_scope
from nurture.models import AccountCheck, AccountClaim, AccountHandoffEnd
from nurture.repo import account_handoffs
from nurture.rules.accounts import BuyingGroup
from nurture.rules.rep_words import lead_axes
from nurture.rules.scoring import ScoringModel
from nurture.tables import Lead
from scenarios.scoring import BUYING_GROUP, MODEL


class AccountActivities:
    def __init__(
        self,
        engine: Engine,
        *,
        group: BuyingGroup = BUYING_GROUP,
        model: ScoringModel = MODEL,
    ) -> None:
        self._engine = engine
        self._group = group
        self._model = model

    def _engagement(self, lead: Lead) -> int:
        """A person's engagement as their own page shows it."""
        return lead_axes(lead.fit_grade, lead.engagement, lead.score_breakdown, self._model)[1]

    @activity.defn
    def check_account(self, check: AccountCheck) -> AccountClaim:
        """Claim the lead's account for a handoff it carries, if its buying group is ready."""
        with session_scope(self._engine) as session:
            found = account_handoffs.claim(
                session,
                uuid.UUID(check.lead_id),
                check.engagement,
                check.at,
                self._group,
                self._engagement,
            )
        if found.account_id is None:
            return AccountClaim()
        # The lead asks on each rise of its engagement over this: once it counts in the
        # group, any rise may find it ready (another person engaged meanwhile, the account
        # back from sales, a total reached), and a decay and a rise again too.
        return AccountClaim(
            account_id=str(found.account_id),
            claimed=found.claimed,
            leads=[str(i) for i in found.leads],
            ask_from=self._group.asks_over,
            why=found.why,
        )

    @activity.defn
    def end_account_handoff(self, end: AccountHandoffEnd) -> None:
        """The carrier's handoff ended (or never began: NOT_HANDED takes the claim back)."""
        with session_scope(self._engine) as session:
            account_handoffs.end(session, uuid.UUID(end.lead_id), end.at, end.outcome)
