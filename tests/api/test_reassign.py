"""A manager's reassignment, through the handoff workflow's update, seen through the API."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from nurture.db import session_scope
from nurture.mailsink import MailSink, ReceivedMail
from nurture.models import REASSIGN_UPDATE, HandoffState, ReassignRequest
from nurture.repo import handoffs, reps
from tests.utils.api import REP_ONE, REP_TWO
from tests.utils.browser import phone_in_chromium
from tests.utils.handoffs import handed_off, rep_links_in_mail
from tests.utils.stack import ApiServer


async def _mail(smtp: MailSink, to: str, subject_word: str) -> ReceivedMail | None:
    """The first mail to `to` (a prefix will do) whose subject has the word, once it came."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for m in smtp.messages:
            if m.to.startswith(to) and subject_word in m.subject:
                return m
        await asyncio.sleep(0.1)
    return None


def _rep_id(engine: Engine, email: str) -> str:
    with session_scope(engine) as session:
        return str(reps.find_rep(session, email).id)


async def _reassign(env: WorkflowEnvironment, handoff: str, to: str) -> HandoffState:
    handle = env.client.get_workflow_handle(handoff)
    request = ReassignRequest(to_rep_id=to, by="manager:test", note="Rep Two knows them")
    result: HandoffState = await handle.execute_update(
        REASSIGN_UPDATE, request, result_type=HandoffState
    )
    return result


async def _refusal(env: WorkflowEnvironment, handoff: str, to: str) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await _reassign(env, handoff, to)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_manager_moves_a_pending_handoff_and_the_new_rep_owns_it(
    dev_env: WorkflowEnvironment,
    stack: ApiServer,
    http: httpx.AsyncClient,
    engine: Engine,
    smtp: MailSink,
) -> None:
    handoff, _ = await handed_off(http, stack)
    links, _ = await rep_links_in_mail(smtp, stack)
    before = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_ONE)).json()
    two = _rep_id(engine, "rep.two@sales.example.com")

    state = await _reassign(dev_env, handoff, two)

    assert state.rep_id == two and state.status == "pending" and state.reassignments == 1
    # Their clock starts now: a whole window again, not what was left of Rep One's.
    assert state.deadline is not None
    assert state.deadline >= datetime.fromisoformat(before["deadline_at"])
    after = (await http.get(f"/v1/handoffs/{handoff}", headers=REP_TWO)).json()
    assert after["rep"] == "Rep Two" and after["status"] == "pending"
    # The previous rep's hands are off; the new rep's are on.
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_ONE)
    assert r.status_code == 403, r.text
    r = await http.post(f"/v1/handoffs/{handoff}/ack", headers=REP_TWO)
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    # Rep One's mail links now say where the lead went, not "not yours".
    async with phone_in_chromium() as page:
        response = await page.goto(links["Acknowledge"])
        assert response is not None and response.status == 410
        said = await page.inner_text("#outcome")
    assert "This lead was reassigned" in said and "It was reassigned to Rep Two." in said, said
    assert "not yours" not in said
    # Who did what, and how, is on record.
    with session_scope(engine) as session:
        details = {e.event: e.detail for e in handoffs.events(session, handoff)}
    assert details["ack"] == "by the rep via api"
    assert details["reassigned"].startswith("reassigned by manager:test")
    # Both reps are told, with the manager's note.
    for rep, word in (("rep.two@sales.example.com", "ready for sales"), ("rep.one", "Reassigned")):
        mail = await _mail(smtp, rep, word)
        assert mail is not None, [(m.to, m.subject) for m in smtp.messages]
        assert '"Rep Two knows them"' in mail.text(), mail.text()


async def test_reassigning_refuses_the_same_rep_a_disabled_rep_and_a_closed_handoff(
    dev_env: WorkflowEnvironment, stack: ApiServer, http: httpx.AsyncClient, engine: Engine
) -> None:
    handoff, _ = await handed_off(http, stack)
    one = _rep_id(engine, "rep.one@sales.example.com")
    three = _rep_id(engine, "rep.three@sales.example.com")
    same = await _refusal(dev_env, handoff, one)
    assert same.type == "SameRep"
    with session_scope(engine) as session:
        reps.find_rep(session, "rep.three@sales.example.com").active = False
    disabled = await _refusal(dev_env, handoff, three)
    assert disabled.type == "RepUnavailable" and "disabled" in disabled.message
    # Still with Rep One, who can act; once closed, nobody can move it.
    body = {"reason": "no_budget"}
    r = await http.post(f"/v1/handoffs/{handoff}/reject", json=body, headers=REP_ONE)
    assert r.status_code == 200, r.text
    # A closed handoff's workflow ends: the server itself refuses (the API's 409 "closed"),
    # or, while it still sends its last mail, the workflow's validator does.
    with pytest.raises((WorkflowUpdateFailedError, RPCError)) as closed:
        await _reassign(dev_env, handoff, _rep_id(engine, "rep.two@sales.example.com"))
    if isinstance(closed.value, WorkflowUpdateFailedError):
        assert isinstance(closed.value.cause, ApplicationError)
        assert closed.value.cause.type == "OutOfOrder" and "closed" in closed.value.cause.message
    else:
        assert isinstance(closed.value, RPCError)
        assert closed.value.status == RPCStatusCode.NOT_FOUND, closed.value
