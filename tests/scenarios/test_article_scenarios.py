"""The article's two scenarios, each a few lines with the test kit (tests/kit.py).

Each test runs a month or so of a lead's life on the time-skipping server in about a second.
"""

from __future__ import annotations

from datetime import timedelta

from tests.kit import At, ScenarioKit
from tests.utils.factories import COLD_PROFILE, HOT_PROFILE

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


async def test_whitepaper_quiet_lead_then_the_long_term_track(kit: ScenarioKit) -> None:
    timeline = await kit.run("whitepaper", profile=COLD_PROFILE, days=40)

    assert timeline.steps == ["thanks", "case-studies", "hearing", "monthly"]
    assert [timeline.day_of(s) for s in ("thanks", "case-studies", "hearing")] == [0, 2, 6]
    assert 34 <= timeline.day_of("monthly") < 38  # 28 days on, the next working morning
    assert timeline.mail("monthly").scenario == "newsletter"
    assert timeline.status.scenario == "newsletter" and timeline.stage == "nurturing"
    assert ("scenario", "entered newsletter: whitepaper finished") in [
        (kind, text) for _, kind, text in timeline.notes
    ]


async def test_whitepaper_engaged_lead_gets_the_demo_offer(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper", profile=COLD_PROFILE, days=10, events=[(4 * DAY, "case_study_download")]
    )

    assert timeline.steps == ["thanks", "case-studies", "demo-offer"]
    assert timeline.day_of("demo-offer") == 6
    assert timeline.score == 10


async def test_whitepaper_hot_lead_goes_to_sales_and_gets_no_more_nurture(
    kit: ScenarioKit,
) -> None:
    timeline = await kit.run(
        "whitepaper", profile=HOT_PROFILE, days=1, events=[(HOUR, "pricing_page_view")]
    )

    assert timeline.steps == ["thanks"]
    assert [s.stage for s in timeline.stages] == ["nurturing", "mql", "sales_pending"]
    assert HOUR <= timeline.stages[1].at < HOUR + timedelta(seconds=5)  # as the event arrived
    assert timeline.score == 60


async def test_whitepaper_ends_when_a_meeting_is_booked(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper", profile=COLD_PROFILE, days=10, events=[(DAY, "meeting_booked")]
    )

    assert timeline.steps == ["thanks"]  # the goal ends the series; 40 points: no MQL yet
    assert timeline.status.scenario == "newsletter"
    assert any("whitepaper reached its goal (a meeting booked)" in t for _, _, t in timeline.notes)


async def test_webinar_attendee_with_a_question(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "webinar",
        profile=COLD_PROFILE,
        days=10,
        events=[
            At(timedelta(hours=2), "webinar_attended", {"webinar": "dx-2026-11"}),
            At(timedelta(hours=2), "webinar_question", {"question": "How long is a rollout?"}),
        ],
    )

    assert timeline.steps == ["thanks-recording", "questions-followup", "consultation-offer"]
    assert timeline.mail("thanks-recording").at < DAY  # the same day
    assert [timeline.day_of(s) for s in timeline.steps[1:]] == [2.1, 7.1]
    assert timeline.score == 30
    assert [(m.points, m.score) for m in timeline.scores] == [(20, 20), (10, 30)]


async def test_webinar_no_show_gets_the_recording_then_the_newsletter(kit: ScenarioKit) -> None:
    timeline = await kit.run("webinar", profile=COLD_PROFILE, days=3)

    assert timeline.steps == ["missed-recording"]
    assert timeline.day_of("missed-recording") == 1.1  # session end (a day) + 3 h grace
    assert timeline.status.scenario == "newsletter"
