"""The account claim on SQLite and PostgreSQL: exactly one claim when the people of an
account ask at the same moment, and when an account may not be handed (with sales, won),
or may be again (its handoff was rejected)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from nurture.db import create_schema, session_scope
from nurture.models import NOT_HANDED
from nurture.orchestration.lead_runs import company_of
from nurture.repo import account_handoffs, backtest_data
from nurture.repo import leads as repo
from nurture.rules.accounts import BuyingGroup
from nurture.tables import AccountHandoff, Handoff, Lead, StageChange, TimelineNote
from scenarios.scoring import email_kind

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
GROUP = BuyingGroup(people=2, engaged_at=20)


def _person(engine: Engine, email: str, engagement: int) -> uuid.UUID:
    with session_scope(engine) as s:
        lead, _ = repo.upsert_lead(s, email, "whitepaper", {"company": "Firm"}, company_of(email))
        lead.engagement, lead.fit_grade = engagement, "C"
        s.add(lead)
        return lead.id


def _engagement(lead: Lead) -> int:
    return lead.engagement or 0


def _claim(engine: Engine, lead_id: uuid.UUID, engagement: int) -> account_handoffs.Claimed:
    with session_scope(engine) as s:
        return account_handoffs.claim(s, lead_id, engagement, AT, GROUP, _engagement)


def _claims(engine: Engine) -> list[AccountHandoff]:
    with session_scope(engine) as s:
        return list(s.exec(select(AccountHandoff).order_by(col(AccountHandoff.id))).all())


def test_people_asking_at_the_same_moment_make_one_claim(empty_db: Engine) -> None:
    create_schema(empty_db)
    people = [
        (_person(empty_db, f"a@co-{n}.co.jp", 25), _person(empty_db, f"b@co-{n}.co.jp", 25))
        for n in range(6)
    ]
    askers = [p for pair in people for p in pair]
    start = threading.Barrier(len(askers))
    found: dict[uuid.UUID, account_handoffs.Claimed] = {}

    def ask(lead_id: uuid.UUID) -> None:
        start.wait()
        found[lead_id] = _claim(empty_db, lead_id, 25)

    threads = [threading.Thread(target=ask, args=(p,)) for p in askers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    for a, b in people:
        claimed = [p for p in (a, b) if found[p].claimed]
        assert len(claimed) == 1, (found[a], found[b])
        refused = found[b if claimed == [a] else a]
        assert refused.why == "the account is with sales"
    assert len(_claims(empty_db)) == len(people)


def test_when_an_account_may_be_handed(empty_db: Engine) -> None:
    create_schema(empty_db)
    sato = _person(empty_db, "sato@maru.co.jp", 30)
    kato = _person(empty_db, "kato@maru.co.jp", 10)
    free = _person(empty_db, "maru.fan@gmail.com", 50)

    assert _claim(empty_db, free, 50).account_id is None  # free mail: of no account
    under = _claim(empty_db, kato, 10)
    assert (under.claimed, under.engaged, under.why) == (False, False, "engagement 10 is under 20")
    alone = _claim(empty_db, sato, 30)
    assert (alone.claimed, alone.why) == (False, "the buying group is not ready: 1 of 2")

    # Another person with sales on their own: the account is not handed as a whole.
    with session_scope(empty_db) as s:
        s.add(Handoff(id="handoff-k-1", lead_id=kato, status="pending", created_at=AT))
    assert _claim(empty_db, sato, 30).why == "another lead of the account is with sales"
    with session_scope(empty_db) as s:
        row = s.get(Handoff, "handoff-k-1")
        assert row is not None
        row.status, row.closed_at = "rejected", AT
        s.add(row)

    # Kato engaged now: Sato's next rise claims it; Kato's own ask is refused meanwhile.
    ready = _claim(empty_db, kato, 20)
    assert (ready.claimed, ready.leads) == (True, [kato, sato])
    assert _claim(empty_db, sato, 35).why == "the account is with sales"
    again = _claim(empty_db, kato, 22)  # Kato's check retried (or a reset run): the same claim
    assert (again.claimed, again.leads) == (True, [kato, sato]) and len(_claims(empty_db)) == 1
    later = AT + timedelta(days=3)
    with session_scope(empty_db) as s:
        handoff = Handoff(id="handoff-k-2", lead_id=kato, status="pending", created_at=AT)
        s.add(handoff)
        s.flush()
        assert [p.id for p in account_handoffs.group_of(s, handoff)] == [sato]
        handoff.status, handoff.closed_at = "rejected", later
        account_handoffs.end(s, kato, later, "rejected")
        lead = s.get(Lead, kato)
        assert lead is not None
        lead.engagement = 25  # as Kato's workflow wrote it
    assert _claim(empty_db, sato, 36).claimed  # rejected: the account may be handed again
    with session_scope(empty_db) as s:
        account_handoffs.end(s, sato, later, "won")
        handoff = Handoff(id="handoff-k-3", lead_id=kato, created_at=later + timedelta(days=1))
        assert account_handoffs.group_of(s, handoff) == []  # Kato's claim ended before it
    assert _claim(empty_db, kato, 40).why == "the account was won"  # a customer: never again
    assert [(c.lead_id, c.outcome) for c in _claims(empty_db)] == [
        (kato, "rejected"),
        (sato, "won"),
    ]


def test_the_backtest_reads_which_mqls_were_an_account_handoffs(empty_db: Engine) -> None:
    create_schema(empty_db)
    carrier = _person(empty_db, "c@kita.co.jp", 20)
    member = _person(empty_db, "m@kita.co.jp", 20)
    alone = _person(empty_db, "a@minami.co.jp", 60)
    with session_scope(empty_db) as s:
        for lead_id in (carrier, alone):
            s.add(StageChange(lead_id=lead_id, at=AT, from_stage="nurturing", to_stage="mql"))
    claimed = _claim(empty_db, carrier, 20)
    assert claimed.claimed and claimed.leads == [carrier, member]
    with session_scope(empty_db) as s:
        pasts = [p for chunk in backtest_data.lead_pasts(s, None, None, email_kind) for p in chunk]
    by_account = {p.lead_id: p.by_account for p in pasts}
    assert by_account == {carrier: True, member: False, alone: False}


def _stage(engine: Engine, lead_id: uuid.UUID, stage: str) -> None:
    with session_scope(engine) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        lead.stage = stage
        s.add(lead)


def test_who_counts_and_a_claim_taken_back(empty_db: Engine) -> None:
    create_schema(empty_db)
    hara = _person(empty_db, "hara@kiri.co.jp", 30)
    bounced = _person(empty_db, "gone@kiri.co.jp", 40)
    _stage(empty_db, bounced, "bounced")
    assert _claim(empty_db, hara, 30).why == "the buying group is not ready: 1 of 2"
    kudo = _person(empty_db, "kudo@kiri.co.jp", 25)
    _stage(empty_db, kudo, "nurturing")
    claimed = _claim(empty_db, hara, 31)
    assert claimed.claimed and claimed.leads == [hara, kudo]  # not the bounced address
    assert notes_of(empty_db, kudo) == [
        f"handed to sales with its account's buying group, by lead {hara}"
    ]

    # Hara stopped before any handoff began: the claim is taken back, notes and all.
    with session_scope(empty_db) as s:
        account_handoffs.end(s, hara, AT, NOT_HANDED)
    assert _claims(empty_db) == [] and notes_of(empty_db, kudo) == []
    assert _claim(empty_db, kudo, 26).claimed  # the account may be handed again

    # A won deal of its own makes the account a customer: never handed as a group again,
    # though the holder of a won claim gets it back (a reset run takes its handoff over).
    with session_scope(empty_db) as s:
        account_handoffs.end(s, kudo, AT, "won")
    assert _claim(empty_db, kudo, 27).claimed
    assert _claim(empty_db, hara, 32).why == "the account was won"
    other = _person(empty_db, "a@nara.co.jp", 30)
    _person(empty_db, "b@nara.co.jp", 30)
    with session_scope(empty_db) as s:
        s.add(Handoff(id="handoff-n-1", lead_id=other, status="won", created_at=AT))
    assert _claim(empty_db, other, 30).why == "the account was won"


def notes_of(engine: Engine, lead_id: uuid.UUID) -> list[str]:
    with session_scope(engine) as s:
        rows = s.exec(select(TimelineNote).where(TimelineNote.lead_id == lead_id)).all()
    return [r.text for r in rows]
