"""`make test` fails when scenario code would break leads on replay: the static check of
nurture/scenario_check.py runs over the real scenarios/ and the project modules they import."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import get_type_hints

from nurture.scenario_check import check, check_workflow_code, scenarios_folder
from scenarios import SCENARIOS
from tests.utils.processes import cli

PROJECT = Path(__file__).resolve().parents[2]


def test_the_scenarios_use_no_clock_randomness_io_or_threads() -> None:
    report = check([scenarios_folder()])
    assert report.ok, "\n" + "\n".join(str(f.relative_to(PROJECT)) for f in report.findings)
    assert {p.name for p in report.files} >= {"whitepaper.py", "webinar.py", "newsletter.py"}
    lead_class = get_type_hints(SCENARIOS["whitepaper"].run)["lead"]  # wherever Lead lives
    authoring_api = Path(inspect.getsourcefile(lead_class) or "")
    assert authoring_api in report.imported  # checked too: scenarios import it


def test_the_code_an_unsandboxed_worker_runs_passes_the_check_it_starts_with() -> None:
    """NURTURE_WORKFLOW_RUNNER=unsandboxed starts only when this holds (worker.py)."""
    report = check_workflow_code()
    assert report.ok, "\n" + "\n".join(str(f.relative_to(PROJECT)) for f in report.findings)
    read = {p.relative_to(PROJECT).as_posix() for p in report.files + report.imported}
    assert {"workflows/lead.py", "workflows/handoff.py", "scenarios/whitepaper.py"} <= read
    assert "nurture/authoring/runtime.py" in read
    assert not any(p.startswith("activities/") for p in read)  # scheduled, never run inline


def test_nurture_check_says_ok_and_exits_0() -> None:
    result = cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("OK: ") and "scenario files" in line


def test_nurture_check_names_the_line_and_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "trial.py"
    scenario.write_text(
        "from datetime import datetime\n\n\nasync def trial(lead):\n"
        "    if datetime.now().hour < 12:\n        await lead.send('morning')\n"
    )
    result = cli("check", str(scenario))
    assert result.returncode == 1
    assert f"{scenario}:5:8: datetime.now (datetime.datetime.now): the wall clock" in result.stdout
    assert "use lead.now()" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 problem in 1 scenario file")
