"""Which sales action is allowed when (the handoff's forward-only state machine), and
which fields each action's body takes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from nurture.models import HandoffStatus, Stage
from nurture.rules.sla_model import ServiceLevelAgreement


class Action(StrEnum):
    ACK = "ack"
    REJECT = "reject"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"


_S = HandoffStatus
ALLOWED_FROM: dict[Action, tuple[HandoffStatus, ...]] = {
    Action.ACK: (_S.PENDING,),
    Action.REJECT: (_S.PENDING, _S.ACCEPTED),
    Action.OPPORTUNITY: (_S.ACCEPTED,),
    Action.WON: (_S.ACCEPTED, _S.OPPORTUNITY),
    Action.LOST: (_S.ACCEPTED, _S.OPPORTUNITY),
}
RESULT: dict[Action, HandoffStatus] = {
    Action.ACK: _S.ACCEPTED,
    Action.REJECT: _S.REJECTED,
    Action.OPPORTUNITY: _S.OPPORTUNITY,
    Action.WON: _S.WON,
    Action.LOST: _S.LOST,
}
LEAD_STAGE: dict[HandoffStatus, Stage] = {
    _S.ACCEPTED: Stage.SALES_ACCEPTED,
    _S.OPPORTUNITY: Stage.OPPORTUNITY,
    _S.WON: Stage.WON,
    _S.LOST: Stage.LOST,
}


VERB = {
    Action.ACK: "acknowledge",
    Action.REJECT: "reject",
    Action.OPPORTUNITY: "record an opportunity on",
    Action.WON: "mark as won",
    Action.LOST: "mark as lost",
}


def refusal(action: Action, status: HandoffStatus) -> str | None:
    """Why `action` cannot happen now, in words for the rep; None when it can."""
    allowed = ALLOWED_FROM[action]
    if status in allowed:
        return None
    if status == RESULT[action]:
        return f"the handoff is already {status.value}"
    needs = " or ".join(s.value for s in allowed)
    return f"cannot {VERB[action]} a handoff that is {status.value}; it must be {needs}"


# --- what each action's body takes ------------------------------------------------

TAKES_AMOUNT = frozenset({Action.OPPORTUNITY, Action.WON})
TAKES_REASON = frozenset({Action.REJECT, Action.LOST})


def reasons_for(action: Action, sla: ServiceLevelAgreement) -> tuple[str, ...]:
    """The reasons the SLA lists for this action (none for actions without a reason)."""
    return {Action.REJECT: sla.reject_reasons, Action.LOST: sla.lost_reasons}.get(action, ())


@dataclass(frozen=True)
class BodyProblem:
    """What is wrong with an action's fields: `kind` is the refusal's type for the workflow
    (an `ApplicationError` type), `field`/`problem` the detail for the API's 422."""

    kind: str  # InvalidReason or InvalidAmount
    field: str
    problem: str
    message: str


def body_problem(
    action: Action, reason: str | None, amount: Decimal | None, sla: ServiceLevelAgreement
) -> BodyProblem | None:
    """Whether each field is on an action that takes it, with what that action needs.

    The one statement of the rule: the API checks a request with it before it reaches
    the workflow (a clear 422 naming the field, even while no worker runs).
    """
    if amount is not None and action not in TAKES_AMOUNT:
        return BodyProblem(
            "InvalidAmount",
            "amount",
            f"not accepted by {action.value}",
            f"amount belongs to opportunity and won, not to {action.value}; send it there",
        )
    if reason is not None and action not in TAKES_REASON:
        return BodyProblem(
            "InvalidReason",
            "reason",
            f"not accepted by {action.value}",
            f"reason belongs to reject and lost, not to {action.value}; a note may say why",
        )
    allowed = reasons_for(action, sla)
    if action in TAKES_REASON and reason not in allowed:
        choices = ", ".join(allowed)
        if reason is None:
            message = f"reason is required for {action.value}; one of: {choices}"
        else:
            message = f"reason {reason!r} is not one of: {choices}"
        return BodyProblem("InvalidReason", "reason", message, message)
    if action == Action.WON and amount is None:
        message = 'amount is required for a won deal: send {"amount": <revenue>}'
        return BodyProblem("InvalidAmount", "amount", "is required", message)
    if action == Action.WON and amount is not None and amount <= 0:
        message = "amount must be greater than 0 for a won deal"
        return BodyProblem("InvalidAmount", "amount", "must be greater than 0", message)
    return None
