"""Pure scoring arithmetic, shared by the lead workflow and the API.

Deterministic and side-effect free, so it runs inside the workflow sandbox: once-only and
capped rules, a total cap, decay of behaviour points and MQL crossings are all functions
of the lead's `ScoreState` and workflow time.

A lead stands on two axes: *fit* (who it is: the attribute rules' points, graded A-D by
`FitGrades`) and *engagement* (what it did: the behaviour rules' points, decayed and
capped). The score is their sum. The MQL criterion is the score against `mql_threshold`
unless the model sets an `MqlRule` on the two axes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nurture.models import AppliedEvent, BehaviourEvent, LeadProfile, ScoreLine
from nurture.rules.score_state import ScoreOutcome, ScoreRequest, ScoreState

MAX_ONCE_KEYS = 5_000  # once-per keys remembered per lead; the oldest are forgotten first


def _mentions(text: str, word: str) -> bool:
    """`word` in `text` as a whole word ("CTO" is not in "Doctor"); scripts without
    spaces between words, such as Japanese, match anywhere."""
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


@dataclass(frozen=True)
class AttributeRule:
    """Points for who the lead is: a text field containing a keyword, equal to a value,
    or a number in a range. Negative points mark leads sales does not want."""

    key: str
    label: str
    points: int
    field: str
    contains_any: tuple[str, ...] = ()
    equals_any: tuple[str, ...] = ()
    between: tuple[int, int] | None = None
    # The words reps read (nurture.rules.rep_words): the label in Japanese, and the rule as
    # a short reason for "why: decision maker, ..." in each language. Empty: the label.
    label_ja: str = ""
    why: str = ""
    why_ja: str = ""

    def matches(self, profile: LeadProfile) -> bool:
        value = getattr(profile, self.field, None)
        if value is None:
            value = profile.attributes.get(self.field)
        if self.between is not None:
            low, high = self.between
            return isinstance(value, int) and low <= value <= high
        text = str(value or "").casefold()
        if self.equals_any:
            return text in (v.casefold() for v in self.equals_any)
        return any(_mentions(text, word.casefold()) for word in self.contains_any)


@dataclass(frozen=True)
class BehaviourRule:
    """Points for something the lead did, keyed by event type.

    `once`: only the first such event ever scores. `once_per`: only the first per value of
    this event property (the same mail opened ten times counts once). `cap`: the most
    points the rule adds in all. `where`: (property, text) pairs the event must contain,
    so one event type can score differently (a careers page view is a job-seeker).
    """

    event_type: str
    label: str
    points: int
    key: str = ""
    once: bool = False
    once_per: str | None = None
    cap: int | None = None
    where: tuple[tuple[str, str], ...] = ()
    label_ja: str = ""  # as AttributeRule's: the words reps read
    why: str = ""
    why_ja: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.event_type)

    def matches(self, event: BehaviourEvent) -> bool:
        if event.type != self.event_type:
            return False
        return all(
            text.casefold() in str(event.properties.get(prop, "")).casefold()
            for prop, text in self.where
        )

    def once_key(self, event: BehaviourEvent) -> str | None:
        if self.once:
            return self.key
        if self.once_per is not None:
            return f"{self.key}|{event.properties.get(self.once_per, '')}"
        return None


@dataclass(frozen=True)
class Decay:
    """Behaviour points shrink by `factor` after `after` without any behaviour, and again
    after every further `after` of quiet. Attribute points never decay."""

    after: timedelta
    factor: float = 0.5


@dataclass(frozen=True)
class Scored:
    """What one event did to the score: the rule it met and the points it added."""

    rule: str | None
    points: int
    why_less: str = ""  # why fewer points than the rule's: once only, rule cap, score cap


GRADES = ("A", "B", "C", "D")  # best first


def grade_rank(grade: str) -> int:
    """0 for A (best) to 3 for D; a ValueError naming the grades for anything else."""
    if grade not in GRADES:
        raise ValueError(f"unknown fit grade {grade!r}: the grades are A, B, C and D")
    return GRADES.index(grade)


@dataclass(frozen=True)
class FitGrades:
    """Fit points at or above which a lead is graded A, B or C; below `c` it is D.

    Reviewed with sales like the points: "A" is the profile sales wants first. The
    thresholds must fall from A to C, so every number of points has exactly one grade.
    """

    a: int
    b: int
    c: int

    def __post_init__(self) -> None:
        if not self.a > self.b > self.c:
            raise ValueError(
                f"fit grades must fall from A to C (a > b > c), got a={self.a}, b={self.b}, "
                f"c={self.c}"
            )

    def grade(self, fit_points: int) -> str:
        if fit_points >= self.a:
            return "A"
        if fit_points >= self.b:
            return "B"
        return "C" if fit_points >= self.c else "D"


# The article's table: decision maker + top industry (35) is A, a decision maker alone or
# industry + size is B, any profile without a negative mark is C, a negative mark is D.
DEFAULT_FIT_GRADES = FitGrades(a=35, b=20, c=0)


@dataclass(frozen=True)
class MqlRule:
    """An MQL criterion on the two axes instead of the single score: fit `fit_at_least`
    or better, and engagement at least `engagement_at_least` (both must hold)."""

    fit_at_least: str = "D"
    engagement_at_least: int = 0

    def __post_init__(self) -> None:
        grade_rank(self.fit_at_least)  # a clear ValueError for a grade that does not exist

    def met(self, fit_grade: str, engagement: int) -> bool:
        return (
            grade_rank(fit_grade) <= grade_rank(self.fit_at_least)
            and engagement >= self.engagement_at_least
        )

    def describe(self) -> str:
        fit = "any fit" if self.fit_at_least == "D" else f"fit {self.fit_at_least} or better"
        return f"{fit} and engagement >= {self.engagement_at_least}"


@dataclass(frozen=True)
class ScoringModel:
    mql_threshold: int
    attribute_rules: tuple[AttributeRule, ...]
    behaviour_rules: tuple[BehaviourRule, ...]
    max_score: int | None = None
    decay: Decay | None = None
    fit_grades: FitGrades = DEFAULT_FIT_GRADES
    # None: a lead qualifies when its score reaches `mql_threshold` (the article's model).
    mql_rule: MqlRule | None = None
    _by_key: dict[str, AttributeRule | BehaviourRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rules: dict[str, AttributeRule | BehaviourRule] = {}
        every: list[AttributeRule | BehaviourRule] = [*self.attribute_rules, *self.behaviour_rules]
        for rule in every:
            if rule.key in rules:
                raise ValueError(f"two scoring rules share the key {rule.key!r}")
            rules[rule.key] = rule
        object.__setattr__(self, "_by_key", rules)

    @property
    def attribute_keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.attribute_rules)  # model order, never a set

    @property
    def rule_keys(self) -> list[str]:
        return list(self._by_key)

    def attribute_points(self, profile: LeadProfile) -> dict[str, int]:
        """Points per attribute rule the profile meets."""
        return {r.key: r.points for r in self.attribute_rules if r.matches(profile)}

    def behaviour_rule(self, event: BehaviourEvent | str) -> BehaviourRule | None:
        """The first behaviour rule the event meets (a bare type: its unconditional rule)."""
        if isinstance(event, str):
            return next(
                (r for r in self.behaviour_rules if r.event_type == event and not r.where), None
            )
        return next((r for r in self.behaviour_rules if r.matches(event)), None)

    def label(self, key: str) -> str:
        rule = self._by_key.get(key)
        return rule.label if rule else key

    def label_in(self, key: str, language: str) -> str:
        """The rule's label in `language` (ja, else English); a rule that lacks one: English."""
        rule = self._by_key.get(key)
        if rule is None:
            return key
        return (rule.label_ja if language == "ja" else "") or rule.label

    def why_in(self, key: str, language: str) -> str:
        """The rule as a short reason ("decision maker"), else its label, in `language`."""
        rule = self._by_key.get(key)
        if rule is None:
            return key
        if language == "ja":
            return rule.why_ja or rule.label_ja or rule.why or rule.label
        return rule.why or rule.label

    # --- applying the model to a lead's state ------------------------------------

    def score(self, state: ScoreState) -> int:
        return sum(state.breakdown.values())

    def fit_points(self, state: ScoreState) -> int:
        """The attribute rules' points: who the lead is."""
        return sum(state.breakdown.get(key, 0) for key in self.attribute_keys)

    def engagement(self, state: ScoreState) -> int:
        """Every other point: what the lead did (behaviour rules, after decay and caps; a
        rule dropped from the model in a review still counts until it decays)."""
        return self.score(state) - self.fit_points(state)

    def fit_grade(self, state: ScoreState) -> str:
        return self.fit_grades.grade(self.fit_points(state))

    def qualifies(self, state: ScoreState) -> bool:
        """The MQL criterion: the model's rule on the two axes, else the score's threshold."""
        if self.mql_rule is None:
            return self.score(state) >= self.mql_threshold
        return self.mql_rule.met(self.fit_grade(state), self.engagement(state))

    def mql_criterion(self) -> str:
        """The MQL criterion in words, for notes and the timeline."""
        if self.mql_rule is None:
            return f"score >= {self.mql_threshold}"
        return self.mql_rule.describe()

    def apply_event(self, state: ScoreState, event: BehaviourEvent, now: datetime) -> Scored:
        """Score one event into `state` (which it updates)."""
        state.last_activity_at = now
        rule = self.behaviour_rule(event)
        if rule is None:
            return Scored(None, 0)
        once = rule.once_key(event)
        if once is not None:
            if once in state.once_keys:
                return Scored(rule.key, 0, "counts once")
            state.once_keys = [*state.once_keys, once][-MAX_ONCE_KEYS:]
        points = rule.points
        why = ""
        so_far = state.breakdown.get(rule.key, 0)
        if rule.cap is not None:
            room = rule.cap - abs(so_far)
            if abs(points) > room:
                points = max(room, 0) * (1 if points >= 0 else -1)
                why = f"rule capped at {rule.cap}"
        if self.max_score is not None and points > 0:
            room = self.max_score - self.score(state)
            if points > room:
                points = max(room, 0)
                why = f"score capped at {self.max_score}"
        if points:
            state.breakdown[rule.key] = so_far + points
        return Scored(rule.key, points, why)

    def apply_profile(self, state: ScoreState, profile: LeadProfile, cause: str) -> list[ScoreLine]:
        """Replace the attribute points with what `profile` earns; the changed lines."""
        after = self.attribute_points(profile)
        lines = [
            ScoreLine(rule=key, points=after.get(key, 0) - state.breakdown.get(key, 0), cause=cause)
            for key in self.attribute_keys
            if after.get(key, 0) != state.breakdown.get(key, 0)
        ]
        for key in self.attribute_keys:
            state.breakdown.pop(key, None)
        state.breakdown.update(after)
        return lines

    def reset_behaviour(self, state: ScoreState, cause: str) -> list[ScoreLine]:
        """Drop every behaviour point (a lead back from sales must show fresh interest)."""
        lines = [
            ScoreLine(rule=key, points=-points, cause=cause)
            for key, points in state.breakdown.items()
            if key not in self.attribute_keys and points
        ]
        state.breakdown = {k: v for k, v in state.breakdown.items() if k in self.attribute_keys}
        state.once_keys = []
        return lines

    def decay_due(self, state: ScoreState) -> datetime | None:
        """When the behaviour points next decay, or None when nothing would."""
        if self.decay is None or state.last_activity_at is None:
            return None
        if not any(v for k, v in state.breakdown.items() if k not in self.attribute_keys):
            return None
        since = state.last_activity_at
        if state.decayed_at is not None and state.decayed_at > since:
            since = state.decayed_at
        return since + self.decay.after

    def apply_decay(self, state: ScoreState, now: datetime) -> list[ScoreLine]:
        """Shrink the behaviour points (toward zero, both signs); the changed lines."""
        if self.decay is None:
            return []
        state.decayed_at = now
        days = self.decay.after.days
        lines: list[ScoreLine] = []
        for key, points in list(state.breakdown.items()):
            if key in self.attribute_keys or not points:
                continue
            kept = int(points * self.decay.factor)  # int() truncates toward zero
            if kept != points:
                lines.append(
                    ScoreLine(rule=key, points=kept - points, cause=f"decay: {days} days quiet")
                )
                state.breakdown[key] = kept
        return lines

    def evaluate(self, request: ScoreRequest) -> ScoreOutcome:
        """Apply one change to a copy of the request's state: the whole scoring step."""
        state = request.state.model_copy(deep=True)
        lines: list[ScoreLine] = []
        applied: list[AppliedEvent] = []
        if request.reset_behaviour is not None:
            lines += self.reset_behaviour(state, request.reset_behaviour)
        if request.profile is not None:
            lines += self.apply_profile(state, request.profile, request.cause)
        if request.decay and (due := self.decay_due(state)) is not None and due <= request.at:
            lines += self.apply_decay(state, request.at)
        for event in request.events:
            scored = self.apply_event(state, event, request.at)
            applied.append(
                AppliedEvent(
                    event=event,
                    points=scored.points,
                    score_after=self.score(state),
                    rule=scored.rule,
                    note=scored.why_less,
                )
            )
        crossed = self.crossed(state)
        state.next_decay_at = self.decay_due(state)
        return ScoreOutcome(
            state=state,
            lines=lines,
            applied=applied,
            crossed=crossed,
            fit_grade=self.fit_grade(state),
            engagement=self.engagement(state),
        )

    def crossed(self, state: ScoreState) -> bool:
        """True exactly when the lead moves from not qualifying to qualifying (`qualifies`)."""
        at_or_above = self.qualifies(state)
        crossing = at_or_above and not state.above
        if crossing:
            state.crossings += 1
        state.above = at_or_above
        return crossing
