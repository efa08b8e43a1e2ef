"""The public authoring API: everything a module in `scenarios/` may import.

Scenarios are configuration: they import from here (and from each other), nothing else of
the project, so the engine underneath can change without touching them.
"""

from nurture.authoring.runtime import Lead
from nurture.authoring.scenario_spec import Goal, Reenrol, Scenario
from nurture.models import EventType
from nurture.rules.accounts import BuyingGroup
from nurture.rules.business_time import BusinessCalendar, japanese_new_year_break
from nurture.rules.email_rules import FrequencyCap, SendWindow
from nurture.rules.scoring import (
    AttributeRule,
    BehaviourRule,
    Decay,
    FitGrades,
    MqlRule,
    ScoringModel,
)
from nurture.rules.sla_model import EscalationLadder, Priority, ServiceLevelAgreement, Strategy

__all__ = [
    "AttributeRule",
    "BehaviourRule",
    "BusinessCalendar",
    "BuyingGroup",
    "Decay",
    "EscalationLadder",
    "EventType",
    "FitGrades",
    "FrequencyCap",
    "Goal",
    "Lead",
    "MqlRule",
    "Priority",
    "Reenrol",
    "Scenario",
    "ScoringModel",
    "SendWindow",
    "ServiceLevelAgreement",
    "Strategy",
    "japanese_new_year_break",
]
