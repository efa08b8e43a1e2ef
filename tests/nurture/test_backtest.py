"""`nurture scoring backtest` on a hand-built read model with known answers, on SQLite and
PostgreSQL: the data layer's reading of the past, then the command as a user types it.

Seven leads entered on 1 September 2026 (and one in October, outside the window), each
row as the lead workflow writes it. Live model (threshold 60) against a candidate that
qualifies at 45:

| lead | profile (points)          | behaviour (day: points)        | live  | candidate | sales  |
|------|---------------------------|--------------------------------|-------|-----------|--------|
| A    | CTO, SaaS, 250 (45)       | 1: pricing 15                  | day 1 | day 0     | won    |
| B    | engineer, SaaS, 250 (25)  | 2: webinar 20, case 10; 3: +15 | day 3 | day 2     | opp.   |
| C    | director, retail, 50 (20) | 1: meeting booked 40           | day 1 | day 1     | reject |
| D    | manager, SaaS, 250 (25)   | 2: webinar 20                  | –     | day 2     | –      |
| E    | engineer (25), VP day 4   | 1: pricing 15 twice            | day 4 | day 1     | won    |
| F    | engineer, retail, 5 (0)   | 1: pricing, recorded as 10     | –     | –         | –      |
| G    | CTO, SaaS, 250 (45)       | unsubscribed day 2; 5: pricing | –     | day 0     | –      |
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from nurture.db import create_schema, make_engine, session_scope
from nurture.repo import backtest_data
from nurture.repo import leads as repo
from nurture.rules.backtest import backtest
from nurture.tables import Handoff, Lead, LeadEvent, ProfileChange, SlaEvent, StageChange
from scenarios.scoring import MODEL, email_kind
from tests.utils.processes import cli

T0 = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo, the SLA calendar's zone
SECOND = timedelta(seconds=1)
HOT: dict[str, Any] = {"job_title": "CTO", "industry": "SaaS", "company_size": 250}
ENGINEER: dict[str, Any] = {"job_title": "Engineer", "industry": "SaaS", "company_size": 250}
FIT: dict[str, Any] = {"decision_maker": 20, "top_industry": 15, "sweet_spot_size": 10}
CANDIDATE = """\
import dataclasses

from scenarios.scoring import MODEL as LIVE

MODEL = dataclasses.replace(LIVE, mql_threshold=45)
"""

BROKEN_ON_EVENTS = """\
import dataclasses

from nurture.authoring import ScoringModel
from scenarios.scoring import MODEL as LIVE


class Broken(ScoringModel):
    def apply_event(self, *args, **kwargs):
        raise RuntimeError("a typo in the rule table")


MODEL = Broken(**{f.name: getattr(LIVE, f.name) for f in dataclasses.fields(LIVE) if f.init})
"""


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _build(engine: Engine) -> dict[str, uuid.UUID]:
    create_schema(engine)
    ids: dict[str, uuid.UUID] = {}
    with Session(engine) as s:

        def lead(name: str, at: datetime = T0, **fields: Any) -> Lead:
            row = Lead(email=f"{name.lower()}@firm-{name.lower()}.example.com", created_at=at)
            for key, value in fields.items():
                setattr(row, key, value)
            s.add(row)
            s.flush()
            ids[name] = row.id
            return row

        def events(row: Lead, at: datetime, *scored: tuple[str, int, int]) -> None:
            for n, (kind, points, after) in enumerate(scored):
                s.add(
                    LeadEvent(
                        lead_id=row.id,
                        event_id=f"{row.id}-{at.isoformat()}-{n}",
                        type=kind,
                        occurred_at=at - SECOND,
                        applied_at=at,
                        properties={},
                        points=points,
                        score_after=after,
                    )
                )

        def stage(row: Lead, at: datetime, to: str) -> None:
            s.add(StageChange(lead_id=row.id, at=at, from_stage="nurturing", to_stage=to))

        def handoff(row: Lead, at: datetime, *then: tuple[str, datetime]) -> None:
            h = Handoff(id=f"handoff-{row.id}-1", lead_id=row.id, created_at=at, status="pending")
            s.add(h)
            for kind, when in then:
                s.add(SlaEvent(handoff_id=h.id, lead_id=row.id, at=when, event=kind))

        a = lead("A", **HOT, score_breakdown={**FIT, "pricing_page_view": 15})
        events(a, day(1), ("pricing_page_view", 15, 60))
        stage(a, day(1) + SECOND, "mql")
        handoff(a, day(1) + SECOND, ("ack", day(2)), ("won", day(10)))

        b = lead("B", **ENGINEER, score_breakdown={"top_industry": 15, "webinar_attended": 20})
        events(b, day(2), ("webinar_attended", 20, 45), ("case_study_download", 10, 55))
        events(b, day(3), ("pricing_page_view", 15, 70))
        stage(b, day(3) + SECOND, "mql")
        handoff(b, day(3) + SECOND, ("ack", day(4)), ("opportunity", day(6)))

        c = lead("C", job_title="Director", industry="Retail", company_size=50)
        c.score_breakdown = {"decision_maker": 20}  # recycled: behaviour points reset
        events(c, day(1), ("meeting_booked", 40, 60))
        stage(c, day(1) + SECOND, "mql")
        handoff(c, day(1) + SECOND, ("reject", day(1) + timedelta(hours=2)))
        stage(c, day(1) + timedelta(hours=2), "recycled")

        d = lead("D", job_title="Manager", industry="SaaS", company_size=250)
        events(d, day(2), ("webinar_attended", 20, 45))

        e = lead("E", **{**ENGINEER, "job_title": "VP Engineering"}, score_breakdown=FIT)
        s.add(ProfileChange(lead_id=e.id, at=day(4), before={**ENGINEER, "attributes": {}}))
        events(e, day(1), ("pricing_page_view", 15, 40), ("pricing_page_view", 15, 55))
        stage(e, day(4) + SECOND, "mql")
        handoff(e, day(4) + SECOND, ("ack", day(5)), ("won", day(9)))

        f = lead("F", job_title="Engineer", industry="Retail", company_size=5)
        events(f, day(1), ("pricing_page_view", 10, 10))  # scored by an older model

        g = lead("G", **HOT)
        stage(g, day(2), "unsubscribed")
        events(g, day(5), ("pricing_page_view", 15, 60))

        october = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
        r = lead("R", at=october)  # stopped by ops, then resumed
        stage(r, october + timedelta(days=1), "disqualified")
        stage(r, october + timedelta(days=2), "nurturing")
        h = lead("H", at=datetime(2026, 10, 15, 3, 0, tzinfo=UTC), **ENGINEER)
        events(h, datetime(2026, 10, 16, tzinfo=UTC), ("webinar_attended", 20, 45))
        s.commit()
    return ids


@pytest.fixture
def recorded(empty_db: Engine) -> tuple[Engine, dict[str, uuid.UUID]]:
    return empty_db, _build(empty_db)


def test_the_past_as_recorded_replays_through_both_models(
    recorded: tuple[Engine, dict[str, uuid.UUID]],
) -> None:
    engine, ids = recorded
    september = (T0 - timedelta(hours=3), T0 + timedelta(days=29))
    with session_scope(engine) as session:
        assert backtest_data.count_leads(session, *september) == 7
        chunks = list(backtest_data.lead_pasts(session, *september, email_kind, chunk=3))
    assert [len(c) for c in chunks] == [3, 3, 1]  # a chunk at a time
    pasts = {p.lead_id: p for chunk in chunks for p in chunk}
    e = pasts[ids["E"]]
    assert [(at, p.job_title) for at, p in e.profiles] == [
        (T0, "Engineer"),
        (day(4), "VP Engineering"),
    ]
    assert [len(b.events) for b in pasts[ids["B"]].batches] == [2, 1]
    assert pasts[ids["G"]].stops == ((day(2), None),)
    with session_scope(engine) as session:
        (everyone,) = backtest_data.lead_pasts(session, None, None, email_kind)
    october = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
    resumed = next(p for p in everyone if p.lead_id == ids["R"])
    assert resumed.stops == ((october + timedelta(days=1), october + timedelta(days=2)),)
    assert (pasts[ids["A"]].won, pasts[ids["B"]].opportunity, pasts[ids["C"]].won) == (
        True,
        True,
        False,
    )

    import dataclasses

    candidate = dataclasses.replace(MODEL, mql_threshold=45)
    result = backtest(list(pasts.values()), MODEL, candidate, until=september[1])
    live, cand, real = result.live, result.candidate, result.recorded
    assert (real.mqls, live.mqls, cand.mqls) == (4, 4, 6)
    assert (live.mql_rate, cand.mql_rate) == (round(4 / 7, 4), round(6 / 7, 4))
    assert (live.median_days_to_mql, cand.median_days_to_mql) == (2.0, 1.0)
    assert (live.precision_opportunity, live.precision_won) == (0.75, 0.5)
    assert (cand.precision_opportunity, cand.precision_won) == (0.5, round(2 / 6, 4))
    assert (live.recall_won, cand.recall_won, cand.recall_opportunity) == (1.0, 1.0, 1.0)
    assert (live.median_days_earlier, cand.median_days_earlier) == (0.0, 2.0)
    assert set(result.newly_mql) == {ids["D"], ids["G"]} and result.no_longer_mql == ()
    assert result.live_not_as_recorded == (ids["F"],) and result.live_as_recorded == 6
    assert result.live_unlike_record == () and result.live_compared == 7


def test_an_intake_that_changes_a_scoring_field_keeps_what_it_replaced(empty_db: Engine) -> None:
    create_schema(empty_db)
    email = "ito@firm.example.com"
    with session_scope(empty_db) as s:
        lead, _ = repo.upsert_lead(s, email, "whitepaper", {**ENGINEER, "name": "Ito"})
        repo.upsert_lead(s, email, "whitepaper", {"name": "Ito Ken"})  # not a scoring field
        repo.upsert_lead(s, email, "whitepaper", {"job_title": "CTO"})
    with session_scope(empty_db) as s:
        changes = s.exec(select(ProfileChange).where(ProfileChange.lead_id == lead.id)).all()
    assert [c.before["job_title"] for c in changes] == ["Engineer"]
    assert changes[0].before["company_size"] == 250


def test_the_command_prints_side_by_side_and_saves(
    recorded: tuple[Engine, dict[str, uuid.UUID]], tmp_path: Path
) -> None:
    engine, ids = recorded
    env = {"NURTURE_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    candidate = tmp_path / "scoring_45.py"
    candidate.write_text(CANDIDATE)
    window = ["--from", "2026-09-01", "--to", "2026-09-30"]

    shown = cli("scoring", "backtest", str(candidate), *window, env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    row = {line[:26].strip(): line[26:].split() for line in lines if line[:26].strip()}
    assert row["MQLs"] == ["4", "4", "6"]
    assert row["MQL rate"] == ["57.1%", "57.1%", "85.7%"]
    assert row["Median days to MQL"] == ["2.0", "2.0", "1.0"]
    assert row["Precision: won"] == ["50.0%", "50.0%", "33.3%"]
    assert row["Won deals: days earlier"] == ["0.0", "0.0", "2.0"]
    assert "7 leads entered 2026-09-01 to 2026-09-30; each replayed" in shown.stdout
    assert (
        "gives back the recorded points of 6 of the 7 leads with events before their MQL; 1 got"
        in shown.stdout
    )
    assert (
        f"(scored by an earlier model, or before nurture kept profile history): {ids['F']}"
        in shown.stdout
    )
    assert "2 leads become MQLs, 0 no longer would" in shown.stdout
    assert "Saved: the dashboard's scoring panel shows this backtest." in shown.stdout
    assert "@" not in shown.stdout  # ids only, never an address

    as_json = cli("scoring", "backtest", str(candidate), "--json", "--no-save", env=env)
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["leads"] == 9 and report["from"] is None  # every lead, R and H too
    assert set(report["newly_mql"]) == {str(ids[n]) for n in "DGH"}  # H: 25 + 20 in October
    rules = {r["rule"]: r for r in report["rules"]}
    assert (rules["decision_maker"]["leads_with"], rules["decision_maker"]["leads_without"]) == (
        3,
        1,
    )
    assert {r["verdict"] for r in report["rules"]} == {"not enough data"}
    with session_scope(engine) as s:
        saved = backtest_data.last_run(s)
    assert saved is not None and saved.candidate == str(candidate)
    assert saved.result["figures"]["candidate"]["mqls"] == 6  # the saved run, not the --no-save one


def test_the_command_says_what_is_wrong(tmp_path: Path) -> None:
    """Each mistake once, on SQLite: what is wrong is the candidate, not the database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'nurture.db'}")
    _build(engine)
    env = {"NURTURE_DATABASE_URL": str(engine.url)}
    engine.dispose()
    candidate = tmp_path / "scoring_45.py"
    candidate.write_text(CANDIDATE)
    missing = cli("scoring", "backtest", "scenarios.no_such_model", env=env)
    assert missing.returncode == 2
    assert "no module 'scenarios.no_such_model'" in missing.stderr
    no_model = tmp_path / "empty.py"
    no_model.write_text("POINTS = 3\n")
    wrong = cli("scoring", "backtest", str(no_model), env=env)
    assert wrong.returncode == 2 and "has no MODEL that is a ScoringModel" in wrong.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("MODEL = 1 / 0\n")
    failed = cli("scoring", "backtest", str(broken), env=env)
    assert failed.returncode == 2 and "failed to load: ZeroDivisionError" in failed.stderr
    raising = tmp_path / "raising.py"
    raising.write_text(BROKEN_ON_EVENTS)
    crashed = cli("scoring", "backtest", str(raising), "--no-save", env=env)
    assert crashed.returncode == 2 and "Traceback" not in crashed.stderr
    assert "the candidate failed on lead " in crashed.stderr
    assert "RuntimeError: a typo in the rule table" in crashed.stderr
    reversed_days = cli(
        "scoring", "backtest", str(candidate), "--from", "2026-09-30", "--to", "2026-09-01", env=env
    )
    assert reversed_days.returncode == 2 and "--to is before --from" in reversed_days.stderr
