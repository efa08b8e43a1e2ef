"""The dashboard's trend charts as shapes to draw: SVG coordinates worked out here, so the
template only places them (no script, no CDN: the page draws offline).

Every series has its own colour (won revenue too), and the legends are the same colours.
One bucket alone (a new install, a short range) is drawn as labelled bars side by side:
single dots of equal counts would hide one another."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from api.schemas.kpi import TrendReport
from nurture.rules.trends import TrendPoint

WIDTH, HEIGHT = 460, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 24, 30  # room for the axis labels
SERIES = (  # (field, legend, colour)
    ("new_leads", "New leads", "#2680c2"),
    ("mqls", "MQLs", "#f0b429"),
    ("handoffs", "Handoffs", "#8662c7"),
    ("opportunities", "Opportunities", "#3ebd93"),
    ("won", "Won", "#e12d39"),
)
REVENUE_COLOUR = "#243b53"  # none of the series' colours: revenue is not a count
NO_CAMPAIGN = "(no campaign)"  # the wording of key "" in every panel
PALETTE = ("#2680c2", "#f0b429", "#3ebd93", "#8662c7", "#e12d39", "#7b8794", "#f7d070")


@dataclass(frozen=True)
class Line:
    series: str
    label: str
    colour: str
    points: str  # "x,y x,y ..." for <polyline>
    total: int
    dots: list[tuple[float, float, int]]  # (x, y, value): one mark per bucket
    radius: float  # later series draw smaller dots, so equal counts show as rings


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    key: str  # the bucket's first day, the campaign, or the series
    value: str
    label: str = ""  # what a person reads: the campaign's name, the series' legend


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class TrendCharts:
    lines: list[Line]
    revenue: list[Bar]
    by_campaign: list[Bar]
    legend: list[tuple[str, str, str]]  # (campaign key, name, colour) of the stacked bars
    single: list[Bar]  # one bucket only: a bar per series, instead of lone dots
    ticks: list[Tick]
    top_count: int
    top_revenue: Decimal
    median_lead_to_mql: float | None
    median_mql_to_won: float | None


def _x(i: int, n: int) -> float:
    """The centre of bucket i of n across the plot."""
    span = WIDTH - LEFT - RIGHT
    return round(LEFT + span * (i + 0.5) / max(n, 1), 1)


def _y(value: float, top: float) -> float:
    span = HEIGHT - TOP - BOTTOM
    return round(HEIGHT - BOTTOM - span * (value / top if top else 0), 1)


def _ticks(points: list[TrendPoint]) -> list[Tick]:
    """At most about eight dates under the x axis."""
    step = max(1, -(-len(points) // 8))
    return [
        Tick(_x(i, len(points)), p.start.strftime("%m-%d"))
        for i, p in enumerate(points)
        if i % step == 0
    ]


def _single(points: list[TrendPoint], top: int) -> list[Bar]:
    """The one bucket's counts as bars side by side, each labelled with its value."""
    if len(points) != 1:
        return []
    span = WIDTH - LEFT - RIGHT
    slot = span / len(SERIES)
    bars = []
    for i, (f, label, colour) in enumerate(SERIES):
        value = getattr(points[0], f)
        y = _y(value, top)
        x = LEFT + slot * i + slot * 0.15
        bars.append(
            Bar(
                round(x, 1),
                y,
                round(slot * 0.7, 1),
                round(HEIGHT - BOTTOM - y, 1),
                colour,
                f,
                str(value),
                label,
            )
        )
    return bars


def charts(report: TrendReport, names: dict[str, str] | None = None) -> TrendCharts:
    """The shapes of the trend panel; `names` words each campaign key (its name)."""
    names = names or {}
    points = report.overall.points
    n = len(points)
    top = max((getattr(p, f) for p in points for f, _, _ in SERIES), default=0) or 1
    lines = [
        Line(
            series=f,
            label=label,
            colour=colour,
            points=" ".join(f"{_x(i, n)},{_y(getattr(p, f), top)}" for i, p in enumerate(points)),
            total=sum(getattr(p, f) for p in points),
            dots=[(_x(i, n), _y(getattr(p, f), top), getattr(p, f)) for i, p in enumerate(points)],
            radius=round(5.5 - 0.8 * k, 1),
        )
        for k, (f, label, colour) in enumerate(SERIES)
    ]
    slot = min((WIDTH - LEFT - RIGHT) / max(n, 1) * 0.7, 48)
    top_revenue = max((p.won_revenue for p in points), default=Decimal(0)) or Decimal(1)
    revenue = []
    for i, p in enumerate(points):
        y = _y(float(p.won_revenue), float(top_revenue))
        revenue.append(
            Bar(
                _x(i, n) - slot / 2,
                y,
                round(slot, 1),
                round(HEIGHT - BOTTOM - y, 1),
                REVENUE_COLOUR,
                p.start.isoformat(),
                f"{p.won_revenue:,.0f}",
            )
        )
    keys = list(report.by_campaign)
    colours = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    top_new = max((p.new_leads for p in points), default=0) or 1
    stacked = []
    for i in range(n):
        base = 0
        for key in keys:
            value = report.by_campaign[key].points[i].new_leads
            if not value:
                continue
            y_top, y_base = _y(base + value, top_new), _y(base, top_new)
            stacked.append(
                Bar(
                    _x(i, n) - slot / 2,
                    y_top,
                    round(slot, 1),
                    round(y_base - y_top, 1),
                    colours[key],
                    key,
                    str(value),
                    names.get(key) or key or NO_CAMPAIGN,
                )
            )
            base += value
    return TrendCharts(
        lines=lines,
        revenue=revenue,
        by_campaign=stacked,
        legend=[(k, names.get(k) or k or NO_CAMPAIGN, c) for k, c in colours.items()],
        single=_single(points, top),
        ticks=_ticks(points),
        top_count=top,
        top_revenue=top_revenue,
        median_lead_to_mql=report.overall.median_days_lead_to_mql,
        median_mql_to_won=report.overall.median_days_mql_to_won,
    )
