"""Which sales action is allowed when: the handoff's forward-only state machine."""

from __future__ import annotations

from enum import StrEnum

from nurture.models import HandoffStatus, Stage


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
