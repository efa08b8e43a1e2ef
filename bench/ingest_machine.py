"""What was measured on what: the machine, the commit (and whether the tree was dirty) and
the versions of the parts, recorded beside every ingest benchmark's figures."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from nurture.binaries import find_binary

ROOT = Path(__file__).resolve().parent.parent


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        temporal_cli = subprocess.run(
            [find_binary("temporal"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        temporal_cli = "?"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": git_state(),
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": temporal_cli,
        "fastapi": metadata.version("fastapi"),
        "uvicorn": metadata.version("uvicorn"),
    }


def git_state() -> str:
    """The commit measured, and whether the tree had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"
