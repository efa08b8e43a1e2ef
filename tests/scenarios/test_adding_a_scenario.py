"""Adding a scenario breaks no unrelated test: the tests that list scenarios (templates of
every sent step, preview's and the API's unknown-scenario errors, the OpenAPI enum) run
again with one more registered, from a pytest plugin loaded before anything imports them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
LISTING_TESTS = [
    "tests/unit/test_templates.py",
    "tests/nurture/test_cli.py::test_preview_says_what_exists",
    "tests/api/test_openapi_document.py",
    "tests/api/test_errors.py::test_invalid_leads_are_422",
]


def test_the_scenario_listing_tests_pass_with_one_more_scenario(tmp_path: Path) -> None:
    env = {**os.environ, "NURTURE_TEST_EXTRA_TEMPLATES": str(tmp_path / "templates")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "tests.scenarios.extra_scenario",
            f"--basetemp={tmp_path / 'pytest'}",
            *LISTING_TESTS,
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-5000:]
    assert "extra scenario registered: trial (scenarios: newsletter, recycle, trial," in out
    # The new scenario's step is checked like the others, its Japanese as the English fallback.
    assert "test_each_sent_step_renders_in_both_languages[trial-welcome-ja] PASSED" in out
    assert " failed" not in out.splitlines()[-1]
