"""Accounts over HTTP on a real stack: the people of one company make one account, a later
lead of a company already with sales goes to the rep who has it, free mail never merges."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.utils.api import lead_when, post_events
from tests.utils.handoffs import handed_off
from tests.utils.stack import ApiServer

HOT = {
    "job_title": "CTO",
    "industry": "Manufacturing",
    "company_size": 300,
    "scenario": "whitepaper",
}


async def _lead(http: httpx.AsyncClient, api: ApiServer, email: str, company: str) -> str:
    body = {**HOT, "email": email, "name": "Sato", "company": company}
    r = await http.post("/v1/leads", json=body, headers=api.admin)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _event(http: httpx.AsyncClient, api: ApiServer, lead_id: str, kind: str) -> None:
    event = {"event_id": f"{lead_id}-{kind}", "lead_id": lead_id, "type": kind}
    assert (await post_events(http, api, event)).status_code == 202


async def _rep_of(http: httpx.AsyncClient, api: ApiServer, lead_id: str) -> str:
    state = await lead_when(http, api, lead_id, lambda s: s["stage"] == "sales_pending")
    assert state["stage"] == "sales_pending", state
    handoff = (await http.get(f"/v1/handoffs/handoff-{lead_id}-1", headers=api.admin)).json()
    return str(handoff["rep"])


async def test_a_company_is_one_account_and_stays_with_the_rep_who_has_it(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    _, kato = await handed_off(http, stack, email="kato@seiki.co.jp")  # Rep One, first in turn
    sato = await _lead(http, stack, "sato@factory.seiki.co.jp", "Kato Seiki")
    await _event(http, stack, sato, "webinar_attended")  # 45 + 20: qualified
    assert await _rep_of(http, stack, sato) == "Rep One"  # in turn it was Rep Two's
    other = await _lead(http, stack, "ito@other-firm.co.jp", "Other Firm")
    await _event(http, stack, other, "webinar_attended")
    assert await _rep_of(http, stack, other) == "Rep Two"  # another company: in turn
    await _lead(http, stack, "kato.private@gmail.com", "Kato Seiki")  # free mail: no account

    listed: dict[str, Any] = (await http.get("/v1/accounts", headers=stack.admin)).json()
    assert listed["total"] == 2
    seiki = next(a for a in listed["items"] if a["domain"] == "seiki.co.jp")
    assert (seiki["name"], seiki["leads"], seiki["rep"], seiki["with_sales"]) == (
        "Kato Seiki",
        2,
        "Rep One",
        True,
    )
    assert (seiki["engaged_leads"], seiki["buying_group_ready"]) == (1, False)  # 15 and 20
    await _event(http, stack, kato, "webinar_attended")  # Kato now has 35: two engaged

    async def ready() -> bool:
        found = await http.get(f"/v1/accounts/{seiki['id']}", headers=stack.admin)
        return bool(found.json()["buying_group_ready"])

    deadline = time.monotonic() + 15
    while not await ready() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # the event is scored by the worker, then recorded
    detail = (await http.get(f"/v1/accounts/{seiki['id']}", headers=stack.admin)).json()
    members = {m["id"]: m for m in detail["members"]}
    assert set(members) == {kato, sato}
    assert (members[kato]["engagement"], members[sato]["engagement"]) == (35, 20)
    assert all(m["engaged"] for m in members.values())
    ready_only = (await http.get("/v1/accounts?ready=true", headers=stack.admin)).json()
    assert [a["id"] for a in ready_only["items"]] == [seiki["id"]]

    dashboard = await http.get("/dashboard", auth=("manager", "dev-admin-token"))
    row = dashboard.text.split(f'data-account="{seiki["id"]}"')[1].split("</tr>")[0]
    assert ">Kato Seiki<" in row and 'class="ready">ready<' in row and ">Rep One<" in row
    assert '<b class="accounts-total">2</b>' in dashboard.text

    missing = await http.get(f"/v1/accounts/{uuid.uuid4()}", headers=stack.admin)
    assert missing.status_code == 404 and "no account with id" in missing.json()["error"]["message"]
    assert (await http.get("/v1/accounts/nope", headers=stack.admin)).status_code == 422
    assert (await http.get("/v1/accounts")).status_code == 401
