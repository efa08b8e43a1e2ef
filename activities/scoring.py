"""The scoring model applied to a lead's score state, as a local activity.

No I/O: it is an activity so that history records each outcome. A lead in flight then
replays with the points it really got, even after the model was changed in a review.
"""

from __future__ import annotations

from temporalio import activity

from nurture.rules.score_state import ScoreOutcome, ScoreRequest
from scenarios.scoring import MODEL


@activity.defn
def apply_scoring(request: ScoreRequest) -> ScoreOutcome:
    return MODEL.evaluate(request)
