"""The dashboard's attribution block inside the ROI panel: the report of one model, the
links that switch the model (keeping every filter of the page: dates, campaign and the
trends' period), bars of attributed revenue, and the figures worded as the table shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from api.database import Database
from api.schemas.attribution import AttributionReport
from api.services.attribution import report
from api.services.kpi import Period
from nurture.rules.attribution import AttributionModel
from nurture.rules.trends import Granularity

LABELS = {
    AttributionModel.FIRST: "First touch",
    AttributionModel.LAST: "Last touch",
    AttributionModel.LINEAR: "Linear",
    AttributionModel.POSITION: "Position 40/20/40",
}
BAR_WIDTH = 320  # the widest bar, in the chart's 460 units (room for its figure after it)


def money(value: Decimal | None) -> str:
    """Whole currency units with thousands separators; "–" for unknown."""
    return "–" if value is None else f"{value:,.0f}"


def credit(value: Decimal) -> str:
    """A fractional count as people read it: 0.4, 1.2, 0.07, 3."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


@dataclass(frozen=True)
class ModelLink:
    model: str
    label: str
    href: str
    active: bool


@dataclass(frozen=True)
class AttributionPanel:
    report: AttributionReport
    links: list[ModelLink]
    csv_href: str
    bars: dict[str, float]  # campaign key → bar width

    @property
    def label(self) -> str:
        return LABELS[self.report.model]


def _query(**values: str | date | None) -> str:
    return urlencode({k: v for k, v in values.items() if v})


async def panel(
    db: Database,
    start: date | None,
    end: date | None,
    campaign: str | None,
    model: AttributionModel,
    granularity: Granularity = Granularity.WEEK,
) -> AttributionPanel:
    """The block for the page's filters: with a campaign, the outcomes of the leads that
    came from it, credited to every campaign that touched them."""
    figures = await report(db, Period.of(start, end, campaign), model)
    top = max((c.won_revenue for c in figures.campaigns), default=Decimal(0)) or Decimal(1)
    links = [
        ModelLink(
            m.value,
            LABELS[m],
            "/dashboard?"
            + _query(
                **{
                    "from": start,
                    "to": end,
                    "campaign": campaign,
                    "period": granularity.value,
                    "model": m.value,
                }
            )
            + "#attribution",
            m is model,
        )
        for m in AttributionModel
    ]
    return AttributionPanel(
        report=figures,
        links=links,
        csv_href="/v1/kpi/attribution.csv?"
        + _query(**{"model": model.value, "from": start, "to": end, "campaign": campaign}),
        bars={c.key: round(float(c.won_revenue / top) * BAR_WIDTH, 1) for c in figures.campaigns},
    )


FILTERS = {"money": money, "credit": credit, "percent": percent}  # for the block's template
