"""The score's two axes through the API: GET /v1/leads filters by fit grade and minimum
engagement, GET /v1/leads/{id} shows fit (grade, points) and engagement beside the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.utils.factories import make_lead
from tests.utils.stack import ApiServer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# name: fit grade, engagement, breakdown (score = its sum); created an hour apart.
LEADS: dict[str, tuple[str | None, int | None, dict[str, int]]] = {
    "a": (
        "A",
        45,
        {"decision_maker": 20, "top_industry": 15, "webinar_attended": 20, "pricing_page_view": 25},
    ),
    "b": ("B", 40, {"decision_maker": 20, "webinar_attended": 20, "pricing_page_view": 20}),
    "c": ("C", 60, {"sweet_spot_size": 10, "meeting_booked": 40, "webinar_attended": 20}),
    "d": ("D", 5, {"free_mail": -10, "whitepaper_download": 5}),
    # Never scored since the axes existed: derived from its breakdown (20 fit: B; 30).
    "e": (None, None, {"decision_maker": 20, "pricing_page_view": 30}),
}


@pytest.fixture
def ids(engine: Engine) -> dict[str, str]:
    made = {}
    for hour, (name, (grade, engagement, breakdown)) in enumerate(LEADS.items()):
        lead = make_lead(
            engine,
            email=f"{name}@customer.example.com",
            score=sum(breakdown.values()),
            score_breakdown=breakdown,
            fit_grade=grade,
            engagement=engagement,
            created_at=T0 + timedelta(hours=hour),
        )
        made[str(lead.id)] = name
    return made


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("fit=A", "a"),
        ("fit=A&fit=B", "ba"),
        ("fit=C&fit=D", "dc"),
        ("min_engagement=40", "cba"),
        ("min_engagement=41", "ca"),
        ("fit=A&fit=B&min_engagement=40", "ba"),  # the "fit B or better, 40+"
        ("fit=B&min_engagement=45", ""),
        ("min_score=60&fit=C", "c"),
        ("", "edcba"),
    ],
)
async def test_the_list_filters_by_fit_grade_and_minimum_engagement(
    stack: ApiServer, http: httpx.AsyncClient, ids: dict[str, str], query: str, names: str
) -> None:
    r = await http.get(f"/v1/leads?{query}", headers=stack.admin)
    assert r.status_code == 200, r.text
    page = r.json()
    assert "".join(ids[item["id"]] for item in page["items"]) == names
    assert page["total"] == len(names)
    shown = {ids[i["id"]]: (i["fit_grade"], i["engagement"]) for i in page["items"]}
    expected = {n: ("B", 30) if n == "e" else LEADS[n][:2] for n in names}
    assert shown == expected


@pytest.mark.parametrize("query", ["fit=E", "fit=a", "fit=AB", "min_engagement=ten"])
async def test_a_bad_grade_or_engagement_is_a_clear_422(
    stack: ApiServer, http: httpx.AsyncClient, query: str
) -> None:
    r = await http.get(f"/v1/leads?{query}", headers=stack.admin)
    assert r.status_code == 422, r.text
    error: dict[str, Any] = r.json()["error"]
    field = query.split("=")[0]
    assert error["details"][0]["field"].startswith(field), error  # fit[0]: the first value
    if field == "fit":
        assert "'A', 'B', 'C' or 'D'" in error["message"], error


async def test_the_lead_shows_fit_and_engagement_beside_the_score(
    stack: ApiServer, http: httpx.AsyncClient, ids: dict[str, str]
) -> None:
    by_name = {name: lead_id for lead_id, name in ids.items()}
    a = (await http.get(f"/v1/leads/{by_name['a']}", headers=stack.admin)).json()
    assert (a["score"], a["fit"], a["engagement"]) == (80, {"grade": "A", "points": 35}, 45)
    assert sum(item["points"] for item in a["score_breakdown"]) == a["score"]
    e = (await http.get(f"/v1/leads/{by_name['e']}", headers=stack.admin)).json()
    assert (e["fit"], e["engagement"], e["fit_grade"]) == ({"grade": "B", "points": 20}, 30, "B")
