"""A model whose MQL rule needs both axes, on the real lead workflow (time-skipping server):
a lead qualifies only once its fit and its engagement both reach the rule, and its search
attributes and read-model row carry the fit grade and the engagement ops and reps see."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from nurture import search_attributes as sa
from nurture.authoring import MqlRule
from nurture.mailsink import MailSink
from nurture.models import LeadStatus
from nurture.settings import Settings
from scenarios.scoring import MODEL
from tests.utils.factories import event, load, make_lead, stages, start_lead
from worker import build_worker
from workflows.lead import LeadWorkflow

# The live rules, handed off on fit B or better and engagement 40 or more.
COMBINED = dataclasses.replace(MODEL, mql_rule=MqlRule(fit_at_least="B", engagement_at_least=40))
FIT_B: dict[str, Any] = {
    "job_title": "CEO",
    "industry": "Retail",
    "company_size": 500,
}  # 30 points: B
FIT_C: dict[str, Any] = {
    "job_title": "Engineer",
    "industry": "SaaS",
    "company_size": 20,
}  # 15 points: C


async def _after(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], kind: str, n: int
) -> LeadStatus:
    await handle.signal(LeadWorkflow.behaviour, event(kind, event_id=f"{kind}-{n}"))
    await env.sleep(timedelta(hours=1))
    return await handle.query(LeadWorkflow.status)


async def test_the_combined_rule_qualifies_only_when_fit_and_engagement_both_reach_it(
    ts_env: WorkflowEnvironment, settings: Settings, engine: Engine, smtp: MailSink
) -> None:
    fit_b, fit_c = make_lead(engine, **FIT_B), make_lead(engine, **FIT_C)
    async with build_worker(ts_env.client, settings, engine, scoring_model=COMBINED):
        b = await start_lead(ts_env.client, settings, fit_b)
        c = await start_lead(ts_env.client, settings, fit_c)
        b_steps = [
            await _after(ts_env, b, kind, n)
            for n, kind in enumerate(["webinar_attended", "pricing_page_view", "pricing_page_view"])
        ]
        c_steps = [
            await _after(ts_env, c, kind, n)
            for n, kind in enumerate(["pricing_page_view", "pricing_page_view", "webinar_attended"])
        ]
        c_attributes = (await c.describe()).typed_search_attributes
        b_attributes = (await b.describe()).typed_search_attributes

    # Fit B: engagement 20, then 35 (score 65: the single total would have handed off
    # here), then 50: the rule is met and the lead goes to sales.
    assert [(s.fit_grade, s.engagement, s.score) for s in b_steps] == [
        ("B", 20, 50),
        ("B", 35, 65),
        ("B", 50, 80),
    ]
    assert [s.with_sales for s in b_steps] == [False, False, True]
    assert stages(engine, fit_b.id) == ["nurturing", "mql", "sales_pending"]
    # Fit C: engagement 50 and score 65 (over the article's 60), yet never an MQL.
    assert [(s.fit_grade, s.engagement) for s in c_steps] == [("C", 15), ("C", 30), ("C", 50)]
    assert c_steps[-1].score == 65 and not c_steps[-1].with_sales
    assert stages(engine, fit_c.id) == ["nurturing"]
    # What ops search by and what the rep's pages read.
    assert (c_attributes.get(sa.FIT_GRADE), c_attributes.get(sa.ENGAGEMENT)) == ("C", 50)
    assert (b_attributes.get(sa.FIT_GRADE), b_attributes.get(sa.ENGAGEMENT)) == ("B", 50)
    assert (load(engine, fit_c.id).fit_grade, load(engine, fit_c.id).engagement) == ("C", 50)
    assert (load(engine, fit_b.id).fit_grade, load(engine, fit_b.id).engagement) == ("B", 50)
