"""GET /v1/leads: each filter, the paging and the order, over several different leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.utils.factories import make_lead
from tests.utils.stack import ApiServer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEADS = {  # name: scenario, source, stage, score; created an hour apart in this order
    "a": ("whitepaper", "wp-a", "nurturing", 10),
    "b": ("whitepaper", "wp-b", "mql", 65),
    "c": ("webinar", "web-a", "sales_pending", 85),
    "d": ("webinar", "wp-a", "nurturing", 40),
    "e": ("newsletter", "web-a", "won", 90),
}


@pytest.fixture
def ids(engine: Engine) -> dict[str, str]:
    made = {}
    for hour, (name, (scenario, source, stage, score)) in enumerate(LEADS.items()):
        lead = make_lead(
            engine,
            scenario,
            email=f"{name}@customer.example.com",
            source=source,
            stage=stage,
            score=score,
            created_at=T0 + timedelta(hours=hour),
        )
        made[str(lead.id)] = name
    return made


@pytest.mark.parametrize(
    ("params", "names", "total"),
    [
        ({}, "edcba", 5),  # newest first
        ({"stage": "nurturing"}, "da", 2),
        ({"stage": "won"}, "e", 1),
        ({"source": "web-a"}, "ec", 2),
        ({"source": "nope"}, "", 0),
        ({"scenario": "whitepaper"}, "ba", 2),
        ({"scenario": "webinar"}, "dc", 2),
        ({"min_score": 65}, "ecb", 3),  # inclusive
        ({"min_score": 66}, "ec", 2),
        ({"stage": "nurturing", "scenario": "webinar"}, "d", 1),
        ({"source": "wp-a", "min_score": 20}, "d", 1),
        ({"limit": 2}, "ed", 5),  # total counts every match, not the page
        ({"offset": 3}, "ba", 5),
        ({"limit": 2, "offset": 1}, "dc", 5),
        ({"limit": 2, "offset": 5}, "", 5),
        ({"scenario": "webinar", "limit": 1, "offset": 1}, "c", 2),
    ],
)
async def test_each_filter_changes_the_result(
    stack: ApiServer,
    http: httpx.AsyncClient,
    ids: dict[str, str],
    params: dict[str, Any],
    names: str,
    total: int,
) -> None:
    r = await http.get("/v1/leads", params=params, headers=stack.admin)
    assert r.status_code == 200, r.text
    page = r.json()
    assert "".join(ids[item["id"]] for item in page["items"]) == names
    assert page["total"] == total
    for item in page["items"]:
        scenario, source, stage, score = LEADS[ids[item["id"]]]
        assert (item["scenario"], item["source"], item["stage"], item["score"]) == (
            scenario,
            source,
            stage,
            score,
        )
