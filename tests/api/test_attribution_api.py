"""Multi-touch attribution through HTTP: touches recorded by the real intake and webhooks,
the deal closed by a rep, and the figures the API then answers, per model; its CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import httpx

from tests.utils.journeys import multi_touch_journey
from tests.utils.stack import ApiServer


def _won(report: dict[str, Any]) -> dict[str, Decimal]:
    return {c["key"]: Decimal(c["won_revenue"]) for c in report["campaigns"]}


async def test_attribution_per_model_through_the_api(
    stack: ApiServer, http: httpx.AsyncClient
) -> None:
    await multi_touch_journey(http, stack)

    async def get(**params: str) -> dict[str, Any]:
        r = await http.get("/v1/kpi/attribution", params=params, headers=stack.admin)
        assert r.status_code == 200, r.text
        return dict(r.json())

    # The intake's touch (wp) is the lead's creation, later than the events' pinned times:
    # in time order the touches are expo, ads, wp.
    assert _won(await get(model="first")) == {"ads": 0, "expo": 900000, "wp": 0}
    assert _won(await get(model="last")) == {"ads": 0, "expo": 0, "wp": 900000}
    assert _won(await get(model="linear")) == {"ads": 300000, "expo": 300000, "wp": 300000}
    position = await get()  # the default
    assert position["model"] == "position"
    assert _won(position) == {"ads": 180000, "expo": 360000, "wp": 360000}
    rows = {c["key"]: c for c in position["campaigns"]}
    assert Decimal(rows["wp"]["cost"]) == 100000 and Decimal(rows["wp"]["roi"]) == Decimal("2.6")
    assert rows["expo"]["cost"] is None and rows["expo"]["roi"] is None  # no cost recorded
    assert [rows[k]["touched_leads"] for k in ("ads", "expo", "wp")] == [1, 1, 1]
    assert Decimal(rows["ads"]["mqls"]) == Decimal("0.2")
    total = position["total"]
    assert Decimal(total["won_revenue"]) == 900000 and total["touched_leads"] == 1
    assert Decimal(total["mqls"]) == 1 and Decimal(total["opportunities"]) == 1
    later = await get(**{"from": "2030-01-01"})
    assert Decimal(later["total"]["won_revenue"]) == 0 and later["start"] == "2030-01-01"

    for model in ("first", "linear"):
        r = await http.get("/v1/kpi/attribution.csv", params={"model": model}, headers=stack.admin)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        as_json = (await get(model=model))["campaigns"]
        cells = [{k: "" if v is None else str(v) for k, v in c.items()} for c in as_json]
        assert list(csv.DictReader(io.StringIO(r.text))) == cells


async def test_attribution_refusals(stack: ApiServer, http: httpx.AsyncClient) -> None:
    assert (await http.get("/v1/kpi/attribution")).status_code == 401
    assert (await http.get("/v1/kpi/attribution.csv")).status_code == 401
    for path in ("/v1/kpi/attribution", "/v1/kpi/attribution.csv"):
        r = await http.get(path, params={"model": "foo"}, headers=stack.admin)
        assert r.status_code == 422, r.text
        message = r.json()["error"]["message"]
        assert all(m in message for m in ("'first'", "'last'", "'linear'", "'position'")), message
    r = await http.get(
        "/v1/kpi/attribution",
        params={"from": "2026-11-30", "to": "2026-11-01"},
        headers=stack.admin,
    )
    assert r.status_code == 422 and "`to` is before `from`" in r.json()["error"]["message"]
