"""The score's two axes in the read model, on SQLite and PostgreSQL: written with the score,
and filtered on by the lead list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from nurture.db import create_schema, session_scope
from nurture.models import ScoreRecord
from nurture.repo import leads as repo
from nurture.tables import Lead

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_the_score_write_carries_the_axes_and_the_list_filters_on_them(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as session:
        made = [Lead(email=f"{n}@customer.example.com") for n in "abc"]
        session.add_all(made)
    for lead, (grade, engagement) in zip(made, [("A", 45), ("B", 20), ("D", 50)], strict=True):
        with session_scope(empty_db) as session:
            repo.record_score(
                session,
                ScoreRecord(
                    lead_id=str(lead.id),
                    at=AT,
                    version=1,
                    score=engagement + 10,
                    breakdown={},
                    fit_grade=grade,
                    engagement=engagement,
                ),
            )
    with Session(empty_db) as session:
        loaded = {
            lead.email[0]: (lead.fit_grade, lead.engagement) for lead in repo.list_leads(session)[0]
        }
        good_and_engaged, total = repo.list_leads(session, fit_grades=("A", "B"), min_engagement=40)
        not_d, _ = repo.list_leads(session, fit_grades=("A", "B", "C"))
    assert loaded == {"a": ("A", 45), "b": ("B", 20), "c": ("D", 50)}
    assert [lead.email[0] for lead in good_and_engaged] == ["a"] and total == 1
    assert sorted(lead.email[0] for lead in not_d) == ["a", "b"]
