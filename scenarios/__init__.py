"""Nurture scenarios, the scoring model and the SLA, written as Python by marketing engineers."""

from collections.abc import Awaitable, Callable

from scenarios.recycle import recycle
from scenarios.webinar import webinar
from scenarios.whitepaper import whitepaper
from workflows.runtime import Lead

Scenario = Callable[[Lead], Awaitable[None]]

SCENARIOS: dict[str, Scenario] = {
    "whitepaper": whitepaper,
    "webinar": webinar,
    "recycle": recycle,
}
