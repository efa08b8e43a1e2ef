"""The service-level agreement between marketing and sales, as code both sides review.

Its four parts, as the article lists them:
1. what a quality lead is: the attribute rules of the scoring model (`scenarios/scoring.py`);
2. when a lead goes to sales: the MQL threshold of that model;
3. sales' follow-up deadline and flow: priorities, the business calendar, the escalation ladder;
4. how sales feeds back: a reason on every reject and every lost deal, reviewed every week.
"""

from datetime import time, timedelta

from nurture.authoring import (
    BusinessCalendar,
    EscalationLadder,
    Priority,
    ServiceLevelAgreement,
    Strategy,
    japanese_new_year_break,
)
from scenarios.scoring import MODEL

BUSINESS_DAY = timedelta(hours=9)  # 9:00-18:00

SLA = ServiceLevelAgreement(
    quality_lead=(
        "A decision maker in a top-target industry at a company of 100-1,000 employees, "
        "with a concrete need shown by behaviour (pricing, case studies, webinars)."
    ),
    handoff_threshold=MODEL.mql_threshold,
    priorities=(
        Priority("hot", min_score=80, acknowledge_within=timedelta(hours=2)),
        Priority("normal", min_score=0, acknowledge_within=BUSINESS_DAY),
    ),
    calendar=BusinessCalendar(
        timezone="Asia/Tokyo",
        opens=time(9, 0),
        closes=time(18, 0),
        country="JP",
        extra_closed_days=japanese_new_year_break(),
    ),
    ladder=EscalationLadder(
        remind_rep_after=timedelta(0),  # a reminder the moment the deadline passes
        tell_manager_after=timedelta(hours=1),
        reassign_after=timedelta(hours=2),
        max_reassignments=2,
    ),
    assignment=Strategy.ROUND_ROBIN,
    reject_reasons=(
        "not_a_fit",
        "no_budget",
        "no_authority",
        "no_need",
        "bad_timing",
        "bad_contact_data",
        "duplicate",
        "existing_customer",
        "other",
    ),
    lost_reasons=("price", "competitor", "no_decision", "timing", "features", "other"),
    feedback=(
        "Every reject and every lost deal carries a reason; marketing reviews them with "
        "sales every week (GET /v1/kpi/scoring) and adjusts the scoring model."
    ),
    recycle_scenario="recycle",
)
