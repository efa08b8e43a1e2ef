"""Nurture scenarios, the scoring model and the SLA, written as Python by marketing engineers.

Each scenario module declares its `Scenario`: the code, the goal that ends it early, its
re-enrolment policy and where the lead goes next. Register new ones here.
"""

from nurture.authoring import Scenario
from scenarios.newsletter import NEWSLETTER
from scenarios.recycle import RECYCLE
from scenarios.webinar import WEBINAR
from scenarios.whitepaper import WHITEPAPER

# Where a lead goes when a scenario ends without qualifying (unless the scenario says).
LONG_TERM = NEWSLETTER.name

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (WHITEPAPER, WEBINAR, RECYCLE, NEWSLETTER)}
