"""Accounts in the read model, on SQLite and PostgreSQL: which leads join one company's
account, old leads brought in, and the rep who already has a company."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from nurture.db import create_schema, session_scope
from nurture.orchestration.lead_runs import company_of
from nurture.repo import accounts
from nurture.repo import leads as repo
from nurture.rules.accounts import account_id
from nurture.tables import Account, Handoff, Lead, Rep
from tests.utils.processes import cli

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _intake(engine: Engine, email: str, company: str = "Acme KK") -> Lead:
    with session_scope(engine) as s:
        lead, _ = repo.upsert_lead(s, email, "whitepaper", {"company": company}, company_of(email))
    return lead


def test_people_of_one_company_share_an_account_and_free_mail_never_does(empty_db: Engine) -> None:
    create_schema(empty_db)
    sato = _intake(empty_db, "sato@acme.co.jp")
    suzuki = _intake(empty_db, "suzuki@mail.acme.co.jp", company="ACME K.K.")
    gmail = _intake(empty_db, "tanaka@gmail.com")
    rival = _intake(empty_db, "spy@competitor.example")
    other = _intake(empty_db, "ito@other.co.jp", company="Other")
    assert sato.account_id == suzuki.account_id == account_id("acme.co.jp")
    assert gmail.account_id is None and rival.account_id is None
    assert other.account_id not in (None, sato.account_id)
    again = _intake(empty_db, "SATO@acme.co.jp")  # a second intake changes nothing
    assert again.id == sato.id and again.account_id == sato.account_id
    with session_scope(empty_db) as s:
        named = {a.domain: a.name for a in s.exec(select(Account)).all()}
    assert named == {"acme.co.jp": "Acme KK", "other.co.jp": "Other"}  # its first lead's words


def test_leads_from_before_accounts_are_brought_in(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as s:
        for email in ("a@firm.example.com", "b@firm.example.com", "c@gmail.com"):
            repo.upsert_lead(s, email, "whitepaper", {})  # no company given: as before
    with session_scope(empty_db) as s:
        assert accounts.backfill(s, company_of) == (2, 1)
    with session_scope(empty_db) as s:
        assert accounts.backfill(s, company_of) == (0, 0)  # again: nothing left to do
        joined = s.exec(select(Lead.account_id).where(Lead.account_id.is_not(None))).all()  # type: ignore[union-attr]
    assert len(set(joined)) == 1 and len(joined) == 2


def test_the_backfill_command_says_what_it_did(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as s:
        for email in ("a@firm.example.com", "b@other.example.org", "c@gmail.com"):
            repo.upsert_lead(s, email, "whitepaper", {})
    env = {"NURTURE_DATABASE_URL": empty_db.url.render_as_string(hide_password=False)}
    done = cli("accounts", "backfill", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 leads joined the accounts of 2 companies (2 accounts in all)."


def test_the_rep_who_has_a_company_is_its_open_handoffs_rep(empty_db: Engine) -> None:
    create_schema(empty_db)
    first = _intake(empty_db, "sato@acme.co.jp")
    second = _intake(empty_db, "suzuki@acme.co.jp")
    with session_scope(empty_db) as s:
        ann = Rep(name="Ann", email="ann@sales.example.com")
        s.add(ann)
        s.flush()
        assert accounts.rep_of_account(s, second.id) is None  # nobody has the company yet
        handoff = Handoff(id="h1", lead_id=first.id, rep_id=ann.id, created_at=AT)
        s.add(handoff)
        s.flush()
        assert accounts.rep_of_account(s, second.id) == ann.id
        assert accounts.rep_of_account(s, first.id) is None  # not its own handoff
        page = accounts.accounts(s)[account_id("acme.co.jp")]
        assert page.rep == (ann.id, "Ann") and len(page.leads) == 2
        handoff.status = "rejected"  # closed: the company is back with marketing
        s.add(handoff)
        s.flush()
        assert accounts.rep_of_account(s, second.id) is None
