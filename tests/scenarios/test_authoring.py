"""What docs/authoring.md promises a scenario author, each shown with the test kit:
moving a lead on, A/B splits, branching, business-time waits and re-enrolment policies."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

import scenarios
from nurture.authoring.runtime import Lead, pick_variant
from nurture.authoring.scenario_spec import Reenrol, Scenario
from nurture.mailsink import MailSink
from nurture.settings import Settings
from scenarios.email_policy import SEND_WINDOW
from tests.kit import Enrol, ScenarioKit
from tests.utils.factories import COLD_PROFILE, event, make_lead, sent_mails, start_lead
from tests.utils.stack import running_worker
from workflows.lead import LeadWorkflow

DAY = timedelta(days=1)


@pytest.fixture
def author(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Replace the whitepaper scenario's code for one test (its templates stay)."""

    def use(run, **options: object) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setitem(
            scenarios.SCENARIOS,
            "whitepaper",
            Scenario("whitepaper", run, **options),  # type: ignore[arg-type]
        )

    return use


async def test_a_scenario_moves_a_quiet_lead_to_another(kit: ScenarioKit, author) -> None:  # type: ignore[no-untyped-def]
    async def quiet_to_webinar(lead: Lead) -> None:
        await lead.send("thanks")
        if not await lead.wait_for("email_click", days=2):
            await lead.move_to("webinar")
        await lead.send("case-studies")

    author(quiet_to_webinar)
    timeline = await kit.run("whitepaper", profile=COLD_PROFILE, days=5)

    assert [(m.scenario, m.step) for m in timeline.mails] == [
        ("whitepaper", "thanks"),
        ("webinar", "missed-recording"),  # the webinar's no-show path, a day and 3 h later
    ]
    assert timeline.day_of("missed-recording") == 3.1
    assert any("entered webinar: moved by whitepaper" in t for _, _, t in timeline.notes)


async def test_an_ab_split_is_stable_and_on_the_timeline(kit: ScenarioKit, author) -> None:  # type: ignore[no-untyped-def]
    async def offer_test(lead: Lead) -> None:
        variant = await lead.split("day-7-offer", ["demo-offer", "hearing"])
        await lead.send(variant)

    author(offer_test)
    timeline = await kit.run("whitepaper", profile=COLD_PROFILE, days=1)

    expected = pick_variant(str(timeline.lead_id), "day-7-offer", ["demo-offer", "hearing"])
    assert timeline.steps == [expected]
    assert ("split", f"A/B split day-7-offer: variant {expected}") in [
        (kind, text) for _, kind, text in timeline.notes
    ]


async def test_branches_on_score_and_attributes(kit: ScenarioKit, author) -> None:  # type: ignore[no-untyped-def]
    async def branching(lead: Lead) -> None:
        await lead.wait(days=1)
        if lead.score >= 20 or lead.attributes.get("vip"):
            await lead.send("demo-offer")
        else:
            await lead.send("hearing")

    author(branching)
    warm = await kit.run(
        "whitepaper", profile=COLD_PROFILE, days=2, events=[(DAY / 2, "webinar_attended")]
    )
    cold = await kit.run("whitepaper", profile=COLD_PROFILE, days=2)
    vip = await kit.run("whitepaper", profile={**COLD_PROFILE, "attributes": {"vip": True}}, days=2)

    assert (warm.steps, cold.steps, vip.steps) == (["demo-offer"], ["hearing"], ["demo-offer"])


async def test_wait_for_a_business_morning(kit: ScenarioKit, author) -> None:  # type: ignore[no-untyped-def]
    async def two_working_days_later(lead: Lead) -> None:
        await lead.wait_business_days(2, at=time(10, 30))
        await lead.send("thanks")

    author(two_working_days_later)
    timeline = await kit.run("whitepaper", profile=COLD_PROFILE, days=6)

    calendar = SEND_WINDOW.calendar(None)  # the lead has no time zone: Asia/Tokyo
    sent = (timeline.started + timeline.mail("thanks").at).astimezone(calendar.zone)
    expected = calendar.business_day_at(timeline.started, 2, time(10, 30))
    assert timedelta(0) <= sent - expected < timedelta(seconds=5)
    assert (sent.hour, sent.minute) == (10, 30) and calendar.is_business_day(sent.date())


async def test_re_enrolment_follows_each_scenarios_policy(kit: ScenarioKit) -> None:
    timeline = await kit.run(
        "whitepaper",
        profile=COLD_PROFILE,
        days=40,
        events=[
            Enrol(DAY, "webinar"),  # leaves the whitepaper series for the webinar's
            Enrol(3 * DAY, "whitepaper"),  # whitepaper: at most once in 30 days
            Enrol(35 * DAY, "whitepaper"),  # a month on: welcome again
        ],
    )

    assert timeline.enrolments[0] == "enrolled in webinar"
    assert timeline.enrolments[1].startswith(
        "not enrolled: whitepaper takes a lead at most once every 30 days"
    )
    assert timeline.enrolments[2] == "enrolled in whitepaper"
    newsletter = [m for m in timeline.mails if m.scenario == "newsletter"]
    assert [
        (m.scenario, m.step, round(m.at / DAY))
        for m in timeline.mails
        if m.scenario != "newsletter"
    ] == [
        ("whitepaper", "thanks", 0),
        ("webinar", "missed-recording", 2),  # then the long-term track, until day 35
        ("whitepaper", "thanks", 35),
        ("whitepaper", "case-studies", 37),
    ]
    assert [m.step for m in newsletter] == ["monthly"] and 30 <= newsletter[0].at / DAY < 35


async def test_a_scenario_that_takes_a_lead_only_once(
    kit: ScenarioKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    webinar = scenarios.SCENARIOS["webinar"]
    monkeypatch.setitem(
        scenarios.SCENARIOS, "webinar", Scenario("webinar", webinar.run, reenrol=Reenrol.never())
    )
    timeline = await kit.run(
        "webinar", profile=COLD_PROFILE, days=3, events=[Enrol(2 * DAY, "webinar")]
    )

    assert timeline.enrolments == ["not enrolled: webinar takes a lead only once"]


async def test_a_patched_change_keeps_resumed_leads_on_their_path(
    ts_env: WorkflowEnvironment,
    settings: Settings,
    engine: Engine,
    smtp: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lead mid-scenario when the change ships keeps the old path, even when its run
    continues-as-new and the scenario is resumed from its journal; a new lead takes the new."""

    async def before(lead: Lead) -> None:
        await lead.send("thanks")
        await lead.wait(days=2)
        await lead.send("case-studies")

    async def after(lead: Lead) -> None:
        if lead.patched("welcome-offer"):
            await lead.send("demo-offer")
        await lead.send("thanks")
        await lead.wait(days=2)
        await lead.send("case-studies")

    monkeypatch.setitem(scenarios.SCENARIOS, "whitepaper", Scenario("whitepaper", before))
    old = make_lead(engine, **COLD_PROFILE)
    async with running_worker(ts_env.client, settings, engine):
        handle = await start_lead(ts_env.client, settings, old, continue_as_new_after=60)
        await ts_env.sleep(DAY)
        monkeypatch.setitem(scenarios.SCENARIOS, "whitepaper", Scenario("whitepaper", after))
        for n in range(40):  # enough history for a continue-as-new mid-wait
            await handle.signal(LeadWorkflow.behaviour, event("page_view", path=f"/p/{n}"))
        new = make_lead(engine, **COLD_PROFILE)
        await start_lead(ts_env.client, settings, new)
        await ts_env.sleep(3 * DAY)
        runs = (await handle.query(LeadWorkflow.status)).runs

    assert runs > 1
    assert [m.step for m in sent_mails(engine, old.id)] == ["thanks", "case-studies"]
    assert [m.step for m in sent_mails(engine, new.id)] == ["demo-offer", "thanks", "case-studies"]
