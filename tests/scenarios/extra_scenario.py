"""A pytest plugin that adds one scenario, as a marketing engineer would, before any test
module is imported: `python -m pytest -p tests.scenarios.extra_scenario ...` (`-m`, so that
`tests` is importable when plugins load; see test_adding_a_scenario.py).

It registers `trial` in `scenarios.SCENARIOS` (before the API builds its scenario enum) and
gives it an English-only step in a copy of the mail templates, at the folder named by
NURTURE_TEST_EXTRA_TEMPLATES.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import scenarios
from nurture import mail
from nurture.authoring.runtime import Lead
from nurture.authoring.scenario_spec import Reenrol, Scenario
from tests.utils.template_folder import en_only_step, template_folder

NAME = "trial"


async def trial(lead: Lead) -> None:
    await lead.send("welcome")
    await lead.wait(days=3)


scenarios.SCENARIOS[NAME] = Scenario(NAME, trial, reenrol=Reenrol.never())
mail.TEMPLATE_DIR = template_folder(
    Path(os.environ["NURTURE_TEST_EXTRA_TEMPLATES"]), en_only_step(NAME, "welcome")
)


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"extra scenario registered: {NAME} (scenarios: {', '.join(sorted(scenarios.SCENARIOS))})"
    )
