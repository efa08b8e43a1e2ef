"""`docker-compose.yml` as an ops engineer meets it: Docker Compose itself resolves it (the
`docker compose` plugin, or Debian's `docker-compose`, which tests/ensure-services.sh installs),
every NURTURE_* setting of `.env.example` reaches both the API and the worker, the stack
refuses to resolve without the secrets, and the search attributes it registers are exactly
the ones the worker demands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from nurture import search_attributes

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"INT": "Int", "KEYWORD": "Keyword"}


def compose_command() -> list[str]:
    """The Compose CLI on this machine: the plugin if Docker has it, else `docker-compose`."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.fail(
        "neither `docker compose` nor `docker-compose` is installed: run tests/ensure-services.sh "
        "(it installs Debian's docker-compose) or install the Compose plugin"
    )


def compose_config(env_file: Path | None) -> subprocess.CompletedProcess[str]:
    """`docker compose [--env-file F] config` in the repository, with no NURTURE_* variable
    of this process leaking in (Compose reads the shell's environment before the file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NURTURE_", "COMPOSE_"))}
    args = ["--env-file", str(env_file)] if env_file else []
    return subprocess.run(
        [*compose_command(), "-f", str(ROOT / "docker-compose.yml"), *args, "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def resolved(env_file: Path) -> dict[str, Any]:
    done = compose_config(env_file)
    assert done.returncode == 0, f"docker compose config failed:\n{done.stderr}"
    config = yaml.safe_load(done.stdout)
    assert isinstance(config, dict)
    return config


def example_settings() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    found = (re.match(r"^(NURTURE_\w+)=(.*)$", line) for line in lines)
    return {m[1]: m[2] for m in found if m}


def test_the_example_env_resolves_and_reaches_the_api_and_the_worker() -> None:
    services = resolved(ROOT / ".env.example")["services"]
    assert {"postgresql", "temporal", "temporal-setup", "api", "worker"} <= set(services)
    api, worker = services["api"]["environment"], services["worker"]["environment"]
    assert api == worker  # one set of settings for both roles
    for name, value in example_settings().items():
        assert api.get(name) == value, f"{name} from .env does not reach the API and worker"
    assert api["NURTURE_DATABASE_URL"].startswith("postgresql+psycopg://")


def test_the_worker_waits_for_the_search_attributes_it_demands() -> None:
    services = resolved(ROOT / ".env.example")["services"]
    depends = services["worker"]["depends_on"]
    assert depends["temporal-setup"]["condition"] == "service_completed_successfully"
    script = " ".join(services["temporal-setup"]["command"])
    registered = set(re.findall(r"\b([A-Z]\w+)=(Int|Keyword)\b", script))
    wanted = {(k.name, KINDS[k.indexed_value_type.name]) for k in search_attributes.ALL}
    assert registered == wanted


def test_the_stack_does_not_resolve_without_its_secrets(tmp_path: Path) -> None:
    partial = tmp_path / "partial.env"
    kept = {k: v for k, v in example_settings().items() if k != "NURTURE_SECRET_KEY"}
    partial.write_text("".join(f"{k}={v}\n" for k, v in kept.items()))
    done = compose_config(partial)
    assert done.returncode != 0
    assert "NURTURE_SECRET_KEY" in done.stderr
