"""The test kit fails loudly where production only notes: a send that cannot render fails
the test naming scenario, step and template; and `start=` pins the simulated enrolment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

import scenarios
from nurture.authoring.runtime import Lead
from nurture.authoring.scenario_spec import Scenario
from nurture.settings import Settings
from tests.kit import ScenarioKit
from tests.utils.clock import TOKYO, next_quiet
from tests.utils.factories import COLD_PROFILE
from tests.utils.template_folder import use_templates

SATURDAY = 5


async def test_a_step_without_a_template_fails_the_test_naming_it(
    kit: ScenarioKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def trial(lead: Lead) -> None:
        await lead.send("welcome")  # nobody wrote scenarios/templates/trial/welcome.*

    monkeypatch.setitem(scenarios.SCENARIOS, "trial", Scenario("trial", trial))
    with pytest.raises(AssertionError) as failed:
        await kit.run("trial", profile=COLD_PROFILE, days=1)
    message = str(failed.value)
    assert "scenario 'trial', step 'welcome'" in message
    assert "no template trial/welcome.txt.j2" in message and "(TemplateNotFound)" in message


async def test_an_undefined_template_variable_fails_the_test_naming_the_file(
    kit: ScenarioKit, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = '{% extends "_layout.txt.j2" %}{% block subject %}{{ offer.title }}{% endblock %}'
    use_templates(monkeypatch, tmp_path / "templates", {"whitepaper/thanks.txt.j2": broken})
    with pytest.raises(AssertionError) as failed:
        await kit.run("whitepaper", profile=COLD_PROFILE, days=1)
    message = str(failed.value)
    assert "scenario 'whitepaper', step 'thanks'" in message
    assert "whitepaper/thanks.txt.j2: UndefinedError: 'offer' is undefined" in message


async def test_a_lead_enrolled_on_a_saturday_in_tokyo_gets_mail_on_monday_morning(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine
) -> None:
    windowed = ScenarioKit(ts_env, settings.model_copy(update={"send_window": True}), engine)
    saturday = next_quiet(await windowed.now(), SATURDAY, 10)  # no holiday in the week after
    timeline = await windowed.run(
        "whitepaper", profile={**COLD_PROFILE, "timezone": "Asia/Tokyo"}, days=4, start=saturday
    )
    assert timedelta(0) <= timeline.started - saturday < timedelta(minutes=1)
    thanks = (timeline.started + timeline.mail("thanks").at).astimezone(TOKYO.zone)
    monday = (saturday + timedelta(days=2)).replace(hour=9)
    # Timers fire a few milliseconds late; the send window opens at nine sharp.
    assert monday <= thanks < monday + timedelta(seconds=1), thanks
    assert thanks.strftime("%a %H:%M") == "Mon 09:00"
    case_studies = (timeline.started + timeline.mail("case-studies").at).astimezone(TOKYO.zone)
    assert case_studies.strftime("%a %H:%M") == "Wed 09:00"  # two days after the thanks
    deferred = [text for _, kind, text in timeline.notes if kind == "deferred"]
    assert deferred == [
        f"whitepaper/thanks deferred to {monday:%Y-%m-%d} 09:00 JST: outside the lead's "
        "business hours"
    ]


async def test_a_start_in_the_servers_past_is_refused(kit: ScenarioKit) -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        await kit.run("whitepaper", start=await kit.now() - timedelta(days=1))
