"""An unsandboxed worker runs only code the static check passes: with a scenario that reads
the wall clock, `nurture worker` refuses to start and names the line, before it connects."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.utils.processes import NURTURE

PROJECT = Path(__file__).resolve().parents[2]


def test_an_unsandboxed_worker_refuses_a_scenario_that_reads_the_clock(tmp_path: Path) -> None:
    # The project's workflow packages, first on the path, with one scenario broken.
    for package in ("scenarios", "workflows", "activities"):
        shutil.copytree(PROJECT / package, tmp_path / package)
    whitepaper = tmp_path / "scenarios" / "whitepaper.py"
    whitepaper.write_text(
        whitepaper.read_text() + "\n\ndef _hour():\n    from datetime import datetime\n\n"
        "    return datetime.now().hour\n"
    )
    line = whitepaper.read_text().splitlines().index("    return datetime.now().hour") + 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("NURTURE_")}
    env.update(
        PYTHONPATH=str(tmp_path),
        NURTURE_WORKFLOW_RUNNER="unsandboxed",
        NURTURE_TEMPORAL_ADDRESS="127.0.0.1:1",  # never reached: the check comes first
        NURTURE_DATABASE_URL=f"sqlite:///{tmp_path / 'nurture.db'}",
    )
    result = subprocess.run(
        [NURTURE, "worker"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "NURTURE_WORKFLOW_RUNNER=unsandboxed, but workflow or scenario code" in result.stderr
    assert f"{whitepaper}:{line}:12: datetime.now" in result.stderr
    assert "NURTURE_WORKFLOW_RUNNER=sandbox" in result.stderr  # the way out, named
