"""Assignment strategies on a real database: turns, skipped reps, territories, weights."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema, make_engine
from nurture.models import LeadProfile
from nurture.repo import reps
from nurture.rules.sla_model import Strategy

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: object) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path}/reps.db")
    create_schema(engine)
    return engine


def _add(session: Session, name: str, **kwargs: object) -> None:
    reps.add_rep(session, name=name, email=f"{name.lower()}@sales.example.com", **kwargs)  # type: ignore[arg-type]


def _assign_many(
    engine: Engine, strategy: Strategy, n: int, profile: LeadProfile | None = None
) -> list[str]:
    names = []
    for i in range(n):
        with Session(engine) as session:
            choice = reps.assign(
                session,
                strategy=strategy,
                handoff_id=f"h{i}",
                attempt=1,
                profile=profile or LeadProfile(),
                at=T0 + timedelta(minutes=i),
                exclude=[],
            )
            assert choice is not None
            names.append(choice.rep.name)
            session.commit()
    return names


def test_round_robin_skips_disabled_and_away_reps(db: Engine) -> None:
    with Session(db) as session:
        for name in ("Ann", "Ben", "Cho", "Dai"):
            _add(session, name)
        reps.find_rep(session, "ben@sales.example.com").active = False
        reps.find_rep(session, "dai@sales.example.com").away_until = T0 + timedelta(minutes=3)
        session.commit()
    # Dai is back from the fourth assignment on (T0 + 3 min).
    assert _assign_many(db, Strategy.ROUND_ROBIN, 6) == ["Ann", "Cho", "Ann", "Dai", "Cho", "Ann"]


def test_weighted_shares_follow_the_weights(db: Engine) -> None:
    with Session(db) as session:
        _add(session, "Heavy", weight=3)
        _add(session, "Light", weight=1)
        session.commit()
    assert Counter(_assign_many(db, Strategy.WEIGHTED, 8)) == {"Heavy": 6, "Light": 2}


def test_territory_then_industry_then_anyone(db: Engine) -> None:
    with Session(db) as session:
        _add(session, "Kanto", territories=["kanto"])
        _add(session, "Kansai", territories=["kansai"])
        _add(session, "Factory", industries=["manufacturing"])
        session.commit()
    kansai = LeadProfile(attributes={"territory": "Kansai"}, industry="Retail")
    assert _assign_many(db, Strategy.TERRITORY, 2, kansai) == ["Kansai", "Kansai"]
    maker = LeadProfile(attributes={"territory": "Tohoku"}, industry="Precision manufacturing")
    with Session(db) as session:
        choice = reps.assign(
            session,
            strategy=Strategy.TERRITORY,
            handoff_id="m",
            attempt=1,
            profile=maker,
            at=T0 + timedelta(hours=1),
            exclude=[],
        )
        assert choice is not None and choice.rep.name == "Factory"
        assert "industry match" in choice.reason
        nobody = LeadProfile(attributes={"territory": "Okinawa"})
        fallback = reps.assign(
            session,
            strategy=Strategy.TERRITORY,
            handoff_id="o",
            attempt=1,
            profile=nobody,
            at=T0 + timedelta(hours=2),
            exclude=[],
        )
        assert fallback is not None and "no rep covers" in fallback.reason


def test_asking_twice_for_the_same_assignment_gets_the_same_rep(db: Engine) -> None:
    with Session(db) as session:
        _add(session, "Ann")
        _add(session, "Ben")
        session.commit()
    with Session(db) as session:
        first = reps.assign(
            session,
            strategy=Strategy.ROUND_ROBIN,
            handoff_id="h",
            attempt=1,
            profile=LeadProfile(),
            at=T0,
            exclude=[],
        )
        again = reps.assign(
            session,
            strategy=Strategy.ROUND_ROBIN,
            handoff_id="h",
            attempt=1,
            profile=LeadProfile(),
            at=T0,
            exclude=[],
        )
        assert first is not None and again is not None and first.rep.id == again.rep.id
        assert reps.find_rep(session, "ann@sales.example.com").assigned_count == 1


def test_tokens_are_stored_hashed(db: Engine) -> None:
    with Session(db) as session:
        rep, token = reps.add_rep(session, name="Ann", email="ann@sales.example.com")
        session.commit()
        assert token.startswith("nrt_") and rep.token_hash != token
        assert reps.rep_by_token(session, token) == rep
        assert reps.rep_by_token(session, token + "x") is None
