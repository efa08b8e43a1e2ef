"""The scoring model's extras as a lead lives them: negative rules, once-only rules,
decay, and an MQL crossing that fires once per crossing."""

from __future__ import annotations

from datetime import timedelta

from tests.kit import At, ScenarioKit
from tests.utils.factories import COLD_PROFILE, HOT_PROFILE

DAY = timedelta(days=1)


async def test_decay_below_then_a_new_crossing_hands_off_once(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper",
        profile=HOT_PROFILE,  # 45 points
        days=102,
        events=[
            (DAY, "case_study_download"),  # 55: below the threshold
            (100 * DAY, "pricing_page_view"),  # after 90 quiet days: 45 + 5 + 15 = 65
            (100 * DAY + timedelta(hours=1), "pricing_page_view"),  # 80: no second crossing
        ],
    )

    decays = [m for m in timeline.scores if "decay" in m.why]
    assert [(m.points, m.score, round(m.at / DAY)) for m in decays] == [(-5, 50, 91)]
    assert [s.stage for s in timeline.stages].count("mql") == 1
    assert [s.stage for s in timeline.stages][:3] == ["nurturing", "mql", "sales_pending"]
    assert 100 <= timeline.stages[1].at / DAY < 100.01
    assert timeline.score == 80


async def test_negative_and_once_only_rules(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper",
        profile={"email": "jobs.taro@gmail.com", "job_title": "Student", "industry": "Retail"},
        days=1,
        events=[
            At(timedelta(hours=1), "page_view", {"path": "/careers/open-positions"}),
            At(timedelta(hours=2), "page_view", {"path": "/careers/engineer"}),
            At(timedelta(hours=3), "meeting_booked"),
            At(timedelta(hours=4), "meeting_booked"),
        ],
    )

    assert timeline.status.breakdown == {
        "student": -30,
        "free_mail": -10,
        "careers_page": -15,  # once
        "meeting_booked": 40,  # once
    }
    assert timeline.score == -15
    assert [m.points for m in timeline.scores if m.why in ("page_view", "meeting_booked")] == [
        -15,
        0,
        40,
        0,
    ]
    assert timeline.status.scenario == "newsletter"  # the meeting is the whitepaper's goal


async def test_a_capped_rule_in_a_live_lead(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper",
        profile=COLD_PROFILE,
        days=1,
        events=[(timedelta(hours=n), "pricing_page_view") for n in range(1, 5)],
    )

    assert [m.points for m in timeline.scores if m.why == "pricing_page_view"] == [15, 15, 0, 0]
    assert timeline.score == 30
