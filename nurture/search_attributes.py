"""Custom search attributes ops filter on in the Temporal UI. Never personal data."""

from temporalio.common import SearchAttributeKey

LEAD_SCORE = SearchAttributeKey.for_int("LeadScore")
LEAD_STAGE = SearchAttributeKey.for_keyword("LeadStage")
SCENARIO = SearchAttributeKey.for_keyword("Scenario")
SCENARIO_STEP = SearchAttributeKey.for_keyword("ScenarioStep")
SOURCE = SearchAttributeKey.for_keyword("Source")
# A handoff's state for ops: waiting_for_rep, pending, overdue, escalated, accepted,
# opportunity, won, lost, rejected, withdrawn.
HANDOFF_STATE = SearchAttributeKey.for_keyword("HandoffState")
# The score's two axes (leads after `lead-fit-engagement`): the fit grade A-D from the
# lead's attributes, and the engagement points from its behaviour. Grades, not titles.
FIT_GRADE = SearchAttributeKey.for_keyword("FitGrade")
ENGAGEMENT = SearchAttributeKey.for_int("Engagement")

ALL = (
    LEAD_SCORE,
    LEAD_STAGE,
    SCENARIO,
    SCENARIO_STEP,
    SOURCE,
    HANDOFF_STATE,
    FIT_GRADE,
    ENGAGEMENT,
)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"INT": "Int", "KEYWORD": "Keyword"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}"]
    return flags
