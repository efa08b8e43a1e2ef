"""An account handed to sales as a whole, on the real lead workflow (time-skipping server,
SQLite read model, the rep's mail read back from the SMTP sink): two engaged people of
one company make one handoff to one rep that lists them both, a third person of that
company goes to the same rep, free mail never joins, and two people engaged at the same
moment still make exactly one handoff."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink
from nurture.models import SalesAction
from nurture.orchestration import lead_ops
from nurture.orchestration.lead_runs import company_of
from nurture.repo import leads as repo
from nurture.settings import Settings
from nurture.tables import AccountHandoff, Handoff, Lead, StageChange
from tests.utils.factories import COLD_PROFILE, HOT_PROFILE, event, load, notes, start_lead
from tests.utils.http_receiver import HttpReceiver
from tests.utils.stack import running_worker
from workflows.handoff import SalesHandoffWorkflow
from workflows.lead import LeadWorkflow

HOUR = timedelta(hours=1)


def _person(engine: Engine, email: str, name: str, **profile: Any) -> Lead:
    fields = {**COLD_PROFILE, "name": name, "company": "Kawa Denki", **profile}
    with session_scope(engine) as s:
        lead, _ = repo.upsert_lead(s, email, "whitepaper", fields, company_of(email))
    return lead


async def _engage(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], kind: str) -> None:
    await handle.signal(LeadWorkflow.behaviour, event(kind))
    await env.sleep(HOUR)


def _handoffs(engine: Engine) -> dict[uuid.UUID, list[Handoff]]:
    with session_scope(engine) as s:
        rows = s.exec(select(Handoff)).all()
    found: dict[uuid.UUID, list[Handoff]] = {}
    for row in rows:
        found.setdefault(row.lead_id, []).append(row)
    return found


def _claims(engine: Engine) -> list[AccountHandoff]:
    with session_scope(engine) as s:
        return list(s.exec(select(AccountHandoff).order_by(col(AccountHandoff.id))).all())


def _checks(history: WorkflowHistory) -> int:
    """How many account checks the lead's run made (local activity markers)."""
    return sum(b'"check_account"' in e.SerializeToString() for e in history.events)


def _mql_reason(engine: Engine, lead_id: uuid.UUID) -> str:
    with session_scope(engine) as s:
        row = s.exec(
            select(StageChange).where(StageChange.lead_id == lead_id, StageChange.to_stage == "mql")
        ).one()
    return row.reason


async def test_two_engaged_people_of_one_company_are_handed_to_one_rep_once(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    suzuki = _person(engine, "suzuki@kawa-denki.co.jp", "Suzuki Taro", job_title="Engineer")
    tanaka = _person(engine, "tanaka@lab.kawa-denki.co.jp", "Tanaka Jiro", job_title="Planner")
    fan = _person(engine, "kawa.fan@gmail.com", "Kawa Fan")  # free mail: of no account
    client = ts_env.client
    async with running_worker(client, settings, engine):
        handles = {p.id: await start_lead(client, settings, p) for p in (suzuki, tanaka, fan)}
        await _engage(ts_env, handles[suzuki.id], "webinar_attended")  # 20: one engaged
        await _engage(ts_env, handles[fan.id], "webinar_attended")  # 20, but no account
        assert _handoffs(engine) == {}  # one engaged person is no buying group
        await _engage(ts_env, handles[tanaka.id], "webinar_attended")  # two: ready
        await _engage(ts_env, handles[suzuki.id], "case_study_download")  # more: not again
        await _engage(ts_env, handles[fan.id], "case_study_download")
        first = _handoffs(engine)
        mails = [m for m in await smtp.received(1) if m.to.endswith("@sales.example.com")]

        # A third person of the company, qualified by their own score, goes to the same
        # rep although the round robin would give the next one.
        ito = _person(engine, "ito@kawa-denki.co.jp", "Ito Saburo", **HOT_PROFILE)
        handles[ito.id] = await start_lead(client, settings, ito)
        await _engage(ts_env, handles[ito.id], "pricing_page_view")  # 45 + 15: MQL
        second = _handoffs(engine)
        statuses = {i: await h.query(LeadWorkflow.status) for i, h in handles.items()}
        asked = {i: _checks(await h.fetch_history()) for i, h in handles.items()}

    # One handoff, carried by the person whose engagement made the group ready.
    assert list(first) == [tanaka.id] and len(first[tanaka.id]) == 1
    handoff = first[tanaka.id][0]
    assert (statuses[tanaka.id].score, statuses[tanaka.id].with_sales) == (20, True)
    assert _mql_reason(engine, tanaka.id) == (
        "the account's buying group is ready: 2 people engaged (20 or more each); score 20"
    )
    assert not statuses[suzuki.id].with_sales and load(engine, suzuki.id).stage == "nurturing"
    assert notes(engine, suzuki.id, kind="account") == [
        f"handed to sales with its account's buying group, by lead {tanaka.id}"
    ]
    [claim] = _claims(engine)
    assert (claim.lead_id, claim.leads, claim.ended_at) == (
        tanaka.id,
        [str(tanaka.id), str(suzuki.id)],
        None,
    )
    # The rep's mail names the whole group.
    assert len(mails) == 1
    mail = mails[0]
    assert mail.subject == "Kawa Denki: 2 people are ready for sales, with Tanaka Jiro"
    body = mail.text()
    whole = "Kawa Denki comes to you as a whole: its buying group is ready, 2 people engaged."
    assert whole in body
    assert "- Suzuki Taro, Engineer <suzuki@kawa-denki.co.jp>: engagement 20" in body
    assert "kawa.fan@gmail.com" not in body
    # The free-mail person stays on their own, engaged or not.
    assert not statuses[fan.id].with_sales and fan.id not in second
    # Who asked: the starter told each new lead its account, so the free-mail person never
    # asks and Suzuki asks only once engaged (20), then on the case study (30).
    assert asked == {suzuki.id: 2, tanaka.id: 1, fan.id: 0, ito.id: 0}
    # The third person: the account's rep, by the account.
    [ito_handoff] = second[ito.id]
    assert ito_handoff.rep_id == handoff.rep_id
    assert "same company" in ito_handoff.reason


async def test_the_claim_ends_with_the_handoff_that_carried_the_account(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    a = _person(engine, "a@mori-koki.co.jp", "Mori A")
    b = _person(engine, "b@mori-koki.co.jp", "Mori B")
    client = ts_env.client
    async with running_worker(client, settings, engine):
        ha, hb = await start_lead(client, settings, a), await start_lead(client, settings, b)
        await _engage(ts_env, ha, "webinar_attended")
        await _engage(ts_env, hb, "webinar_attended")
        [claim] = _claims(engine)
        carrier = claim.lead_id
        [handoff] = _handoffs(engine)[carrier]
        rep = SalesAction(rep_id=str(handoff.rep_id), reason="no_budget")
        handle = client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff.id)
        await handle.execute_update(SalesHandoffWorkflow.reject, rep)
        await ts_env.sleep(HOUR)
        [ended] = _claims(engine)

    assert ended.outcome == "rejected" and ended.ended_at is not None
    assert load(engine, carrier).stage == "recycled"


async def test_people_engaged_at_the_same_moment_make_one_handoff(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    companies = [f"firm-{n}.co.jp" for n in range(4)]
    pairs = [
        (_person(engine, f"x@{c}", "X", company=c), _person(engine, f"y@{c}", "Y", company=c))
        for c in companies
    ]
    client = ts_env.client
    async with running_worker(client, settings, engine):
        handles = [
            (await start_lead(client, settings, x), await start_lead(client, settings, y))
            for x, y in pairs
        ]
        # Every person's event at once: the checks race for each account.
        await asyncio.gather(
            *(
                h.signal(LeadWorkflow.behaviour, event("webinar_attended"))
                for pair in handles
                for h in pair
            )
        )
        await ts_env.sleep(HOUR)
        found = _handoffs(engine)
        claims = _claims(engine)

    for x, y in pairs:
        carried = [p.id for p in (x, y) if p.id in found]
        assert len(carried) == 1, (x.company, carried)  # once: neither none nor both
        assert len(found[carried[0]]) == 1
    assert sorted(str(c.account_id) for c in claims) == sorted(str(x.account_id) for x, _ in pairs)


async def test_the_crm_and_slack_hear_of_the_whole_group(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    with (
        HttpReceiver(otherwise=HTTPStatus.OK, secret="crm-secret") as crm,
        HttpReceiver(otherwise=HTTPStatus.OK, answer=b"ok") as slack,
    ):
        told = Settings.model_validate(
            {
                **settings.model_dump(),
                "sales_webhook_url": crm.url,
                "sales_webhook_secret": "crm-secret",
                "slack_webhook_url": SecretStr(slack.url),
            }
        )
        a = _person(engine, "a@yama-sangyo.co.jp", "Yama Ai")
        b = _person(engine, "b@yama-sangyo.co.jp", "Yama Bo")
        async with running_worker(ts_env.client, told, engine):
            ha, hb = (
                await start_lead(ts_env.client, told, a),
                await start_lead(ts_env.client, told, b),
            )
            await _engage(ts_env, ha, "webinar_attended")
            await _engage(ts_env, hb, "webinar_attended")  # Yama Bo carries the account
            for _ in range(100):  # the posts go beside the SLA clock, in real time
                if crm.received and slack.received:
                    break
                await asyncio.sleep(0.05)

    [posted] = [json.loads(r.body) for r in crm.received]
    assert posted["event"] == "handoff.assigned" and posted["lead"]["id"] == str(b.id)
    assert posted["account"]["id"] == str(b.account_id)
    assert [(p["id"], p["name"]) for p in posted["account"]["leads"]] == [(str(a.id), "Yama Ai")]
    message = json.loads(slack.received[0].body)
    texts = [block.get("text", {}).get("text", "") for block in message["blocks"]]
    group = "*Kawa Denki comes as a whole:* its buying group is ready, 2 people engaged."
    assert f"{group} With Yama Ai." in texts, texts


async def test_a_person_who_cooled_off_and_came_back_completes_the_group(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """Engagement decays and rises again: each rise over the threshold asks anew, however
    high the lead once was (a high-water mark would miss this group for good)."""
    ono = _person(engine, "ono@hama-seiko.co.jp", "Ono")
    ota = _person(engine, "ota@hama-seiko.co.jp", "Ota")
    client = ts_env.client
    async with running_worker(client, settings, engine):
        h_ono, h_ota = (
            await start_lead(client, settings, ono),
            await start_lead(client, settings, ota),
        )
        await _engage(ts_env, h_ono, "webinar_attended")
        await _engage(ts_env, h_ono, "pricing_page_view")  # 35, alone: not ready
        await ts_env.sleep(timedelta(days=91))  # quiet: halved, to 17
        cooled = (await h_ono.query(LeadWorkflow.status)).engagement
        await _engage(ts_env, h_ota, "webinar_attended")  # 20, but Ono is at 17: not ready
        assert _claims(engine) == []
        await _engage(ts_env, h_ono, "pricing_page_view")  # 32: both engaged, and Ono asks
        [claim] = _claims(engine)

    assert cooled == 17
    assert (claim.lead_id, claim.leads) == (ono.id, [str(ono.id), str(ota.id)])


async def test_a_carrier_resumed_from_its_record_still_ends_the_claim(
    dev_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    """Ops terminate the lead that carries its account and resume it from its record: the
    new run knows the account it holds, so when sales rejects the handoff the account is
    free again (else it would read 'with sales' for good)."""
    a = _person(engine, "a@sora-denko.co.jp", "Sora A")
    b = _person(engine, "b@sora-denko.co.jp", "Sora B")
    client = dev_env.client
    async with running_worker(client, settings, engine):
        ha = await start_lead(client, settings, a)
        hb = await start_lead(client, settings, b)
        await ha.signal(LeadWorkflow.behaviour, event("webinar_attended"))
        await _until(lambda: load(engine, a.id).engagement == 20, "Sora A engaged")
        await hb.signal(LeadWorkflow.behaviour, event("webinar_attended"))
        await _until(lambda: load(engine, b.id).stage == "sales_pending", "the account handed")
        await hb.terminate("ops: worker host retired")
        await lead_ops.resume(client, settings, engine, b.id)
        await _until(
            lambda: any("took over handoff-" in n for n in notes(engine, b.id)), "taken over"
        )
        [handoff] = _handoffs(engine)[b.id]
        rep = SalesAction(rep_id=str(handoff.rep_id), reason="no_budget")
        await client.get_workflow_handle_for(SalesHandoffWorkflow.run, handoff.id).execute_update(
            SalesHandoffWorkflow.reject, rep
        )
        await _until(lambda: _claims(engine)[0].ended_at is not None, "the claim ended")
        [claim] = _claims(engine)

    assert (claim.lead_id, claim.outcome) == (b.id, "rejected")


async def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, f"not {what} within a minute"
        await asyncio.sleep(0.1)
