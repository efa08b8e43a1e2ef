"""Backtest benchmark: `nurture scoring backtest` over a large recorded past (issue 14).

Builds a SQLite read model of `--leads` leads, each with an intake profile, a few event
batches (pricing views, webinars, downloads, clicks) over 60 days, and for a fifth an MQL
stage and a handoff won or rejected (at random, not where the model crossed), all written with
bulk inserts. Then it times, in the same run:

- the baseline: reading every row the backtest reads (leads, events, profile changes,
  stage changes, the sales outcomes), chunk by chunk, as `nurture.repo.backtest_data` does;
- the backtest: the same read plus both models' replay and the figures.

Reported: leads/s of each, the ratio backtest / baseline (how much the replay itself
adds to reading the past), and the peak RSS of this process.

    .venv/bin/python bench/backtest.py                 # 50,000 leads, about 3 minutes
    .venv/bin/python bench/backtest.py --leads 5000    # quick
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from nurture.db import create_schema, make_engine, session_scope
from nurture.repo import backtest_data
from nurture.rules.backtest import backtest
from nurture.tables import Handoff, Lead, LeadEvent, SlaEvent, StageChange
from scenarios.scoring import MODEL, email_kind

T0 = datetime(2026, 6, 1, tzinfo=UTC)
KINDS = ("pricing_page_view", "webinar_attended", "case_study_download", "email_click")
TITLES = ("CTO", "Engineer", "Director", "Analyst", "Manager")


def build(engine: sa.Engine, leads: int, seed: int) -> None:
    rng = random.Random(seed)
    lead_rows, event_rows, stage_rows, handoff_rows, sla_rows = [], [], [], [], []
    for n in range(leads):
        lead_id = uuid.uuid4()
        entered = T0 + timedelta(minutes=n)
        lead_rows.append(
            {
                "id": lead_id,
                "email": f"lead{n}@firm{n % 997}.example.com",
                "job_title": rng.choice(TITLES),
                "industry": rng.choice(("SaaS", "Retail")),
                "company_size": rng.choice((50, 250, 5000)),
                "created_at": entered,
                "updated_at": entered,
                "attributes": {},
                "score_breakdown": {},
                "score_version": 0,
            }
        )
        score = 0
        for b in range(rng.randint(1, 6)):
            at = entered + timedelta(days=b * rng.uniform(1, 10))
            for e in range(rng.randint(1, 3)):
                kind = rng.choice(KINDS)
                event_rows.append(
                    {
                        "lead_id": lead_id,
                        "event_id": f"{n}-{b}-{e}",
                        "type": kind,
                        "occurred_at": at,
                        "applied_at": at,
                        "properties": {"message": f"m{b}", "webinar": f"w{b}"},
                        "points": 0,
                        "score_after": score,
                    }
                )
        if rng.random() < 0.2:
            at = entered + timedelta(days=rng.uniform(1, 30))
            stage_rows.append(
                {"lead_id": lead_id, "at": at, "from_stage": "nurturing", "to_stage": "mql"}
            )
            hid = f"handoff-{lead_id}-1"
            handoff_rows.append({"id": hid, "lead_id": lead_id, "created_at": at})
            outcome = "won" if rng.random() < 0.3 else "reject"
            sla_rows.append(
                {
                    "handoff_id": hid,
                    "lead_id": lead_id,
                    "at": at + timedelta(days=5),
                    "event": outcome,
                }
            )
    with engine.begin() as c:
        c.execute(sa.insert(Lead), lead_rows)
        for i in range(0, len(event_rows), 20_000):
            c.execute(sa.insert(LeadEvent), event_rows[i : i + 20_000])
        if stage_rows:
            c.execute(sa.insert(StageChange), stage_rows)
            c.execute(sa.insert(Handoff), handoff_rows)
            c.execute(sa.insert(SlaEvent), sla_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--save", type=Path, default=None, help="Write the figures as JSON.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(engine)
        started = time.perf_counter()
        build(engine, args.leads, args.seed)
        built = time.perf_counter() - started
        candidate = dataclasses.replace(MODEL, mql_threshold=45)

        started = time.perf_counter()
        with session_scope(engine) as session:
            read = sum(len(c) for c in backtest_data.lead_pasts(session, None, None, email_kind))
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        with session_scope(engine) as session:
            pasts = (
                p for c in backtest_data.lead_pasts(session, None, None, email_kind) for p in c
            )
            result = backtest(pasts, MODEL, candidate, until=T0 + timedelta(days=400))
        full = time.perf_counter() - started
        engine.dispose()
    figures = {
        "date": datetime.now(UTC).date().isoformat(),
        "leads": read,
        "build_seconds": round(built, 1),
        "read_leads_per_s": round(read / baseline),
        "backtest_leads_per_s": round(read / full),
        "backtest_over_read": round(full / baseline, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "live_mqls": result.live.mqls,
        "candidate_mqls": result.candidate.mqls,
    }
    print(json.dumps(figures, indent=2))
    if args.save:
        args.save.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
