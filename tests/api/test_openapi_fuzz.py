"""The OpenAPI document is the contract: a schema fuzzer run against the live stack finds nothing.

Schemathesis (its CLI, with tests/api/fuzz/schemathesis.toml and hooks.py) reads the live
/openapi.json, sends what the document allows and what it forbids to every operation, with
the admin token and every body signed as a webhook, all checks on: no 5xx, every status
and media type documented, every answer matching its schema, nothing the document allows
refused, nothing it forbids taken, every `$ref` resolved. Bounded: 10 examples per operation
and phase, a fixed seed (NURTURE_FUZZ_SEED to explore others), a deadline for the whole run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from nurture.tracking import Tracker
from tests.utils.stack import ApiServer

ROOT = Path(__file__).resolve().parents[2]
FUZZ = Path(__file__).resolve().parent / "fuzz"
DEADLINE_SECONDS = 150  # the run takes ~30 s on a busy 2-core machine
LEAD = {
    "email": "fuzz@customer.example.com",
    "name": "Fuzz Target",
    "company": "Fuzz KK",
    "scenario": "whitepaper",
    "job_title": "CTO",
    "industry": "Manufacturing",
    "company_size": 300,
}


async def _handed_off(http: httpx.AsyncClient, api: ApiServer) -> tuple[str, str]:
    """A lead with a handoff, so the fuzzer reaches real resources, not only 404s."""
    lead_id = (await http.post("/v1/leads", json=LEAD, headers=api.admin)).json()["id"]
    body = json.dumps({"event_id": "p", "lead_id": lead_id, "type": "pricing_page_view"}).encode()
    assert (await http.post("/v1/events", content=body, headers=api.signed(body))).is_success
    handoff = f"handoff-{lead_id}-1"
    for _ in range(150):
        if (await http.get(f"/v1/handoffs/{handoff}", headers=api.admin)).status_code == 200:
            return lead_id, handoff
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handoff} never reached the read model")


def _config(tmp_path: Path, api: ApiServer, lead_id: str, handoff_id: str) -> Path:
    """The checked-in settings, plus real ids and links drawn half the time."""
    secret = api.settings.secret_key.get_secret_value()
    links = Tracker(api.settings.public_url, secret, lead_id, "fuzz")
    tokens = [
        url.rsplit("/", 1)[1]
        for url in (
            links.click_url("https://www.example.com/"),
            links.open_url(),
            links.unsubscribe_url(),
        )
    ]
    known = f"""
[dictionaries.known-leads]
values = ["{lead_id}"]

[dictionaries.known-handoffs]
values = ["{handoff_id}"]

[dictionaries.known-links]
values = {json.dumps(tokens)}

[parameters]
"path.lead_id" = {{ dictionary = "known-leads", probability = 0.5 }}
"path.handoff_id" = {{ dictionary = "known-handoffs", probability = 0.5 }}
"path.token" = {{ dictionary = "known-links", probability = 0.5 }}
"body.lead_id" = {{ dictionary = "known-leads", probability = 0.5 }}
"""
    config = tmp_path / "schemathesis.toml"
    config.write_text((FUZZ / "schemathesis.toml").read_text() + known)
    return config


async def test_a_schema_fuzzer_finds_nothing_wrong_with_the_live_api(
    stack: ApiServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    lead_id, handoff_id = await _handed_off(http, stack)
    report = tmp_path / "schemathesis.json"
    token = stack.settings.admin_token.get_secret_value()
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(_config(tmp_path, stack, lead_id, handoff_id)),
        "run",
        f"{stack.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        "10",
        "--seed",
        os.environ.get("NURTURE_FUZZ_SEED", "20261201"),
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.fuzz.hooks",
        "NURTURE_FUZZ_WEBHOOK_SECRET": stack.settings.webhook_secret.get_secret_value(),
        "NURTURE_FUZZ_WRITE_KEY": stack.settings.segment_write_keys[0].key.get_secret_value(),
        "PYTHONPATH": str(ROOT),
    }
    fuzzer = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(fuzzer.communicate(), DEADLINE_SECONDS)
    finally:
        if fuzzer.returncode is None:
            fuzzer.kill()
            await fuzzer.wait()
    text = output.decode(errors="replace")
    assert report.exists(), text
    result: dict[str, Any] = json.loads(report.read_text())
    assert result["failures"] == [], text  # 5xx, undocumented statuses, rejected valid data...
    assert result["errors"] == [], text
    assert result["warnings"]["unresolvable_reference"] == [], text
    assert result["warnings"]["missing_auth"] == [], text  # the signing reached every webhook
    assert result["operations"]["tested"] == result["operations"]["total"] >= 26, text
    assert result["test_cases"]["generated"] > 500, text
    assert fuzzer.returncode == 0, text
