"""Pure scoring arithmetic, shared by the lead workflow and the API.

Deterministic and side-effect free, so it runs inside the workflow sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.models import LeadProfile


def _mentions(text: str, word: str) -> bool:
    """`word` in `text` as a whole word ("CTO" is not in "Doctor"); scripts without
    spaces between words, such as Japanese, match anywhere."""
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


@dataclass(frozen=True)
class AttributeRule:
    """Points for who the lead is: a text field containing a keyword, or a number in a range."""

    key: str
    label: str
    points: int
    field: str
    contains_any: tuple[str, ...] = ()
    between: tuple[int, int] | None = None

    def matches(self, profile: LeadProfile) -> bool:
        value = getattr(profile, self.field, None)
        if value is None:
            value = profile.attributes.get(self.field)
        if self.between is not None:
            low, high = self.between
            return isinstance(value, int) and low <= value <= high
        text = str(value or "").casefold()
        return any(_mentions(text, word.casefold()) for word in self.contains_any)


@dataclass(frozen=True)
class BehaviourRule:
    """Points for something the lead did, keyed by event type."""

    event_type: str
    label: str
    points: int


@dataclass(frozen=True)
class ScoringModel:
    mql_threshold: int
    attribute_rules: tuple[AttributeRule, ...]
    behaviour_rules: tuple[BehaviourRule, ...]
    _by_type: dict[str, BehaviourRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_type", {r.event_type: r for r in self.behaviour_rules})

    def attribute_points(self, profile: LeadProfile) -> dict[str, int]:
        """Points per attribute rule the profile meets."""
        return {r.key: r.points for r in self.attribute_rules if r.matches(profile)}

    def behaviour_rule(self, event_type: str) -> BehaviourRule | None:
        return self._by_type.get(event_type)

    def label(self, key: str) -> str:
        for rule in self.attribute_rules:
            if rule.key == key:
                return rule.label
        behaviour = self._by_type.get(key)
        return behaviour.label if behaviour else key
