"""The scoring model applied to a lead's score state, as a local activity.

No I/O: it is an activity so that history records each outcome. A lead in flight then
replays with the points it really got, even after the model was changed in a review.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity

from nurture.rules.score_state import ScoreOutcome, ScoreRequest
from nurture.rules.scoring import ScoringModel
from scenarios.scoring import MODEL


@activity.defn
def apply_scoring(request: ScoreRequest) -> ScoreOutcome:
    return MODEL.evaluate(request)


def scoring_under(model: ScoringModel) -> Callable[[ScoreRequest], ScoreOutcome]:
    """The same activity under another model (a candidate, a test's model): the lead
    workflow calls it by name, so a worker given this scores every lead by `model`."""

    @activity.defn(name="apply_scoring")
    def apply_candidate(request: ScoreRequest) -> ScoreOutcome:
        return model.evaluate(request)

    return apply_candidate
