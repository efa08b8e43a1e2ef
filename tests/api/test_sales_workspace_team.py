"""A manager's reassignment and the session's limits on the real stack: a manager reaches
only their own team (crafted posts get a refusal page and change nothing), the form offers
only reps who take leads, an expired session is no session, and an overlong sign-out form
is a page; the workflow's refusals become pages by their type."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.errors import Conflict, Invalid
from api.services.workspace_auth import Viewer
from api.services.workspace_reassign import manager_label, refusal
from nurture import workspace_tokens as wt
from nurture.db import session_scope
from nurture.repo import rep_sessions
from nurture.tables import Handoff, Lead, Rep
from scenarios.sla import SLA
from tests.utils.api import REP_ONE
from tests.utils.handoffs import handed_off
from tests.utils.stack import ApiServer

BOSS = "boss@sales.example.com"  # Rep One's manager in the test configuration
ONE = "rep.one@sales.example.com"
TWO = "rep.two@sales.example.com"
THREE = "rep.three@sales.example.com"
ADMIN = {"Authorization": "Bearer dev-admin-token"}


def _session_for(engine: Engine, email: str, started: datetime, hours: float = 12) -> str:
    """A /sales session row as signing in writes it; the cookie's value."""
    value = wt.new_value()
    with session_scope(engine) as session:
        rep_sessions.start(session, email, value, started, hours)
    return value


def _browser(stack: ApiServer, value: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.base_url, cookies={"nurture_sales": value})


def _csrf(stack: ApiServer, value: str) -> str:
    return wt.csrf_for(stack.settings.secret_key.get_secret_value(), value)


def _reps(engine: Engine) -> dict[str, Rep]:
    with session_scope(engine) as session:
        return {r.email: r for r in session.exec(select(Rep)).all()}


def _set(engine: Engine, email: str, **values: object) -> None:
    with session_scope(engine) as session:
        rep = session.exec(select(Rep).where(Rep.email == email)).one()
        for key, value in values.items():
            setattr(rep, key, value)
        session.add(rep)


def _handoff_of(engine: Engine, rep: Rep) -> str:
    with session_scope(engine) as session:
        lead = Lead(email=f"{uuid.uuid4().hex[:8]}@customer.example.com", name="Other Lead")
        session.add(lead)
        session.flush()
        handoff = Handoff(
            id=f"handoff-{uuid.uuid4()}-1",
            lead_id=lead.id,
            rep_id=rep.id,
            status="pending",
            priority="normal",
            score=60,
            created_at=datetime.now(UTC),
            deadline_at=datetime.now(UTC) + timedelta(days=3),
        )
        session.add(handoff)
        return handoff.id


async def _rep_of(http: httpx.AsyncClient, handoff: str) -> str:
    data = (await http.get(f"/v1/handoffs/{handoff}", headers=ADMIN)).json()
    return str(data["rep"])


async def test_an_expired_session_gets_the_sign_in_page_not_the_queue(
    stack: ApiServer, engine: Engine
) -> None:
    now = datetime.now(UTC)
    fresh = _session_for(engine, ONE, now)
    expired = _session_for(engine, ONE, now - timedelta(hours=13), hours=12)
    async with _browser(stack, fresh) as browser:
        r = await browser.get("/sales")
        assert r.status_code == 200 and "My queue" in r.text  # the cookie itself works
    async with _browser(stack, expired) as browser:
        r = await browser.get("/sales")
        assert r.status_code == 200 and 'id="email"' in r.text and "My queue" not in r.text
        r = await browser.get("/sales/history")
        assert r.status_code == 401 and "Please sign in" in r.text


async def test_a_manager_cannot_reach_outside_their_team_and_nothing_changes(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine
) -> None:
    _set(engine, TWO, manager_email=BOSS)
    _set(engine, THREE, manager_email="someone.else@sales.example.com")
    reps = _reps(engine)
    mine, _ = await handed_off(http, stack)  # Rep One's: in the boss's team
    theirs = _handoff_of(engine, reps[THREE])  # Rep Three's: another manager's
    value = _session_for(engine, BOSS, datetime.now(UTC))
    csrf = _csrf(stack, value)
    async with _browser(stack, value) as browser:
        # A handoff of a rep outside the team, to a rep of the team: refused.
        r = await browser.post(
            f"/sales/team/{theirs}/reassign",
            data={"csrf": csrf, "to_rep": str(reps[TWO].id), "from_rep": str(reps[THREE].id)},
        )
        assert r.status_code == 403 and "Not yours" in r.text and "not in your team" in r.text
        assert r.headers["content-type"].startswith("text/html")
        # A handoff of the team, to a rep outside it: refused.
        r = await browser.post(
            f"/sales/team/{mine}/reassign",
            data={"csrf": csrf, "to_rep": str(reps[THREE].id), "from_rep": str(reps[ONE].id)},
        )
        assert r.status_code == 422 and "choose an active rep of your team" in r.text
    with session_scope(engine) as session:
        row = session.get(Handoff, theirs)
        assert row is not None and row.rep_id == reps[THREE].id and row.reassignments == 0
    assert await _rep_of(http, mine) == "Rep One"
    assert (await http.get(f"/v1/handoffs/{mine}", headers=REP_ONE)).json()["status"] == "pending"


async def test_the_form_offers_only_reps_who_take_leads_and_a_stale_page_moves_nothing(
    stack: ApiServer, http: httpx.AsyncClient, engine: Engine
) -> None:
    _set(engine, TWO, manager_email=BOSS, away_until=datetime.now(UTC) + timedelta(days=2))
    _set(engine, THREE, manager_email=BOSS, active=False)
    reps = _reps(engine)
    mine, _ = await handed_off(http, stack)
    value = _session_for(engine, BOSS, datetime.now(UTC))
    csrf = _csrf(stack, value)
    async with _browser(stack, value) as browser:
        page = (await browser.get("/sales/team")).text
        assert f'data-handoff="{mine}"' in page
        assert f'value="{reps[TWO].id}"' not in page and f'value="{reps[THREE].id}"' not in page
        # Asked anyway, for the rep who is away: refused in words.
        r = await browser.post(
            f"/sales/team/{mine}/reassign",
            data={"csrf": csrf, "to_rep": str(reps[TWO].id), "from_rep": str(reps[ONE].id)},
        )
        assert r.status_code == 422 and "who is not away" in r.text
        # Back from being away, Rep Two is offered, with the rep the page showed it with.
        _set(engine, TWO, away_until=None)
        page = (await browser.get("/sales/team")).text
        assert f'<option value="{reps[TWO].id}">Rep Two</option>' in page
        assert f'name="from_rep" value="{reps[ONE].id}"' in page
        # A page that showed the handoff with another rep is stale: 409, nothing moves.
        r = await browser.post(
            f"/sales/team/{mine}/reassign",
            data={"csrf": csrf, "to_rep": str(reps[TWO].id), "from_rep": str(reps[THREE].id)},
        )
        assert r.status_code == 409 and "moved on meanwhile" in r.text
        assert "Traceback" not in r.text and r.headers["content-type"].startswith("text/html")
    assert await _rep_of(http, mine) == "Rep One"


async def test_an_overlong_sign_out_form_gets_a_page_and_keeps_the_session(
    stack: ApiServer, engine: Engine
) -> None:
    value = _session_for(engine, ONE, datetime.now(UTC))
    async with _browser(stack, value) as browser:
        r = await browser.post("/sales/sign-out", data={"csrf": "x" * 500})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "a field of the form is too long" in r.text
        assert (await browser.get("/sales")).status_code == 200  # still signed in
        assert "My queue" in (await browser.get("/sales")).text


def _failed(cause: BaseException) -> WorkflowUpdateFailedError:
    return WorkflowUpdateFailedError(cause)


@pytest.mark.parametrize(
    ("cause", "kind", "words"),
    [
        (ApplicationError("the handoff moved on meanwhile", type="OutOfOrder"), Conflict, "reload"),
        (ApplicationError("the handoff is with that rep already", type="SameRep"), Invalid, ""),
        (ApplicationError("no such rep", type="RepUnavailable"), Invalid, ""),
        (ApplicationError("something new", type="SomethingNew"), Conflict, "refused"),
        (RuntimeError("boom"), Conflict, "could not move it"),
    ],
)
def test_every_refusal_of_the_workflow_is_a_409_or_422_in_words(
    cause: BaseException, kind: type, words: str
) -> None:
    err = refusal(_failed(cause))
    assert type(err) is kind and words in err.message
    assert err.status_code in (409, 422)


def test_a_manager_who_is_no_rep_is_labelled_by_an_hmac_under_the_secret_key() -> None:
    who = Viewer(
        email=BOSS, rep=None, team=(), language="en", zone=SLA.calendar.zone, session_value=""
    )
    one, other = manager_label("secret-one", who), manager_label("secret-two", who)
    assert one.startswith("manager:") and one != other  # keyed: not a bare digest of the address
    assert "boss" not in one and one == manager_label("secret-one", who)
    assert one != "manager:" + hashlib.sha256(BOSS.encode()).hexdigest()[:16]
