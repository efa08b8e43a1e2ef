"""What a scenario did and what it expects, kept as it goes so the figures can be checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.scoring import MODEL


def points_of(event_type: str) -> int:
    """Points one event of this type adds (the rule without conditions; caps not applied)."""
    for rule in MODEL.behaviour_rules:
        if rule.event_type == event_type and not rule.where:
            return rule.points
    return 0


@dataclass
class Ledger:
    """Leads made, events accepted, and the leads and events the scenario set apart."""

    leads: dict[str, int] = field(default_factory=dict)  # lead id -> profile points
    events: dict[str, tuple[str, str]] = field(default_factory=dict)  # event id -> (lead, type)
    halted: set[str] = field(default_factory=set)  # leads stopped on purpose: no workflow due
    parked: set[str] = field(default_factory=set)  # events due parked, not applied
    problems: list[str] = field(default_factory=list)
    extras: dict[str, int | str] = field(default_factory=dict)

    def lead(self, reply: dict[str, object], profile_points: int = 0) -> str:
        """Note the lead an intake answered with; returns its id."""
        lead_id = str(reply["id"])
        self.leads[lead_id] = profile_points
        return lead_id

    def sent(self, events: list[dict[str, object]]) -> None:
        """Note events the API accepted (202)."""
        for e in events:
            self.events[str(e["event_id"])] = (str(e["lead_id"]), str(e["type"]))

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def check(self, condition: bool, text: str) -> bool:
        """Note `text` as a problem unless `condition` holds; returns `condition`."""
        if not condition:
            self.problems.append(text)
        return condition

    def events_of(self, lead_id: str, applied: bool = True) -> list[tuple[str, str]]:
        """(event id, type) of the lead's accepted events; only those due applied by default."""
        return [
            (event_id, kind)
            for event_id, (lead, kind) in self.events.items()
            if lead == lead_id and (event_id not in self.parked or not applied)
        ]

    def expected_score(self, lead_id: str) -> int:
        """Profile points plus the points of every event due applied (scenarios stay under
        the rules' caps, so a plain sum is exact)."""
        return self.leads.get(lead_id, 0) + sum(
            points_of(kind) for _, kind in self.events_of(lead_id)
        )
