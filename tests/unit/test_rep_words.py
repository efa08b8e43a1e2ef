"""The words nurture writes to reps (nurture.rules.rep_words): plain functions, pinned times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nurture.models import EventType, LeadProfile, SlaEventKind, Stage
from nurture.repo.reps import choose
from nurture.rules import rep_words
from nurture.rules.scoring import AttributeRule, BehaviourRule, ScoringModel
from nurture.rules.sla_model import Strategy
from nurture.tables import Rep
from scenarios.scoring import MODEL
from scenarios.sla import SLA

TOKYO, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday 15:00 in Tokyo, 01:00 in New York
SUMMER = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_local_time_in_each_language_and_zone() -> None:
    assert rep_words.local_time(AT, TOKYO, "ja") == "12月1日(火) 15:00 JST"
    assert rep_words.local_time(AT, TOKYO, "en") == "Tue, Dec 1, 15:00 JST"
    assert rep_words.local_time(AT, NEW_YORK, "en") == "Tue, Dec 1, 01:00 EST"
    assert rep_words.local_time(SUMMER, NEW_YORK, "en") == "Wed, Jul 1, 02:00 EDT"
    next_year = AT + timedelta(days=365)
    assert rep_words.local_time(AT, TOKYO, "ja", now=next_year) == "2026年12月1日(火) 15:00 JST"
    assert rep_words.local_time(AT, TOKYO, "en", now=next_year) == "Tue, Dec 1, 2026, 15:00 JST"
    assert rep_words.local_time(AT, TOKYO, "en", now=AT) == "Tue, Dec 1, 15:00 JST"
    assert rep_words.local_clock(AT, TOKYO) == "15:00 JST"


def test_spans_and_business_allowances() -> None:
    assert rep_words.span(timedelta(minutes=47), "en") == "47 min"
    assert rep_words.span(-timedelta(hours=1, minutes=5), "en") == "1 h 5 min"
    assert rep_words.span(timedelta(hours=2), "en") == "2 h"
    assert rep_words.span(timedelta(days=1, hours=3), "ja") == "1日3時間"
    assert rep_words.span(timedelta(seconds=20), "ja") == "0分"
    day = SLA.calendar.day_length
    assert day == timedelta(hours=9)
    assert rep_words.business_span(timedelta(hours=2), day, "en") == "2 business hours"
    assert rep_words.business_span(timedelta(hours=1), day, "en") == "1 business hour"
    assert rep_words.business_span(day, day, "en") == "1 business day"
    assert rep_words.business_span(2 * day, day, "ja") == "2営業日"
    hot = rep_words.priority_text("hot", timedelta(hours=2), day, "en")
    assert hot == "hot: acknowledge within 2 business hours"
    assert rep_words.priority_text("hot", timedelta(hours=2), day, "ja") == (
        "至急: 2営業時間以内に受領してください"
    )


def test_the_rep_language_and_zone_fall_back_to_the_defaults() -> None:
    assert rep_words.language_for("ja", "en") == "ja"
    assert rep_words.language_for(None, "ja") == "ja"
    assert rep_words.language_for("fr", "xx") == "en"
    assert rep_words.zone_for("America/New_York", TOKYO) == NEW_YORK
    assert rep_words.zone_for(None, TOKYO) == TOKYO
    assert rep_words.zone_for("Mars/Olympus", TOKYO) == TOKYO


def test_why_names_the_strongest_reasons_in_the_rep_language() -> None:
    breakdown = {"page_view": 1, "pricing_page_view": 15, "decision_maker": 20, "top_industry": 15}
    breakdown |= {"free_mail": -10, "email_open": 0}
    assert rep_words.why(breakdown, "en", MODEL) == (
        "decision maker, top-target industry, viewed pricing, browsed the site"
    )
    assert (
        rep_words.why(breakdown, "ja", MODEL) == "決裁者、重点業種、料金ページを閲覧、サイトを閲覧"
    )
    lines = rep_words.breakdown_lines(breakdown, "ja", MODEL)
    assert lines[0] == {"label": "役職: 決裁者", "points": 20}
    assert {"label": "フリーメールのアドレス", "points": -10} in lines
    assert all(line["points"] for line in lines)  # zero-point rules are not listed


def test_every_shipped_rule_has_japanese_words() -> None:
    rules: list[AttributeRule | BehaviourRule] = [*MODEL.attribute_rules, *MODEL.behaviour_rules]
    assert [r.key for r in rules if not r.label_ja] == []
    positive = [r for r in rules if r.points > 0]
    assert [r.key for r in positive if not (r.why and r.why_ja)] == []


def test_a_rule_without_japanese_words_reads_in_english() -> None:
    model = ScoringModel(
        mql_threshold=60,
        attribute_rules=(AttributeRule("vip", "VIP account", 30, "company_size", between=(1, 9)),),
        behaviour_rules=(),
    )
    assert model.label_in("vip", "ja") == "VIP account"
    assert rep_words.why({"vip": 30}, "ja", model) == "VIP account"
    assert model.label_in("gone", "ja") == "gone"  # a rule removed since: its key


def _rep(name: str, **fields: Any) -> Rep:
    return Rep(name=name, email=f"{name}@sales.example.com", **fields)


def test_every_reason_the_assignment_gives_reads_as_words() -> None:
    """The reasons nurture.repo.reps.choose stores, each said to the rep in both languages."""
    team = [_rep("a", territories=["kanto"]), _rep("b", industries=["saas"]), _rep("c")]
    kanto = LeadProfile(attributes={"territory": "kanto"})
    cases = [
        (choose(Strategy.ROUND_ROBIN, team, kanto), "you are next in turn among 3 reps"),
        (choose(Strategy.ROUND_ROBIN, team[:1], kanto), "you are the only rep available"),
        (choose(Strategy.TERRITORY, team, kanto), "you cover the lead's territory"),
        (
            choose(Strategy.TERRITORY, team, LeadProfile(industry="SaaS")),
            "you cover the lead's industry",
        ),
        (
            choose(Strategy.TERRITORY, team, LeadProfile()),
            "no rep covers the lead's territory or industry; you are next in turn among 3 reps",
        ),
        (choose(Strategy.WEIGHTED, team, kanto), "you are next by the team's share of leads"),
    ]
    for choice, words in cases:
        assert rep_words.assignment_reason(choice.reason, "en") == words, choice.reason
        ja = rep_words.assignment_reason(choice.reason, "ja")
        assert ja != rep_words.assignment_reason("", "ja") and not ja.isascii()
    assert rep_words.assignment_reason("round-robin: next in turn of 2 available reps", "ja") == (
        "2名の担当者のうち、あなたの順番でした"
    )
    # One this module does not know yet: plain words, never the stored text.
    unknown = rep_words.assignment_reason("lottery: 7 of 9", "en")
    assert unknown == "assigned to you under the SLA" and "lottery" not in unknown


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    data: dict[str, Any]


TIMELINE = [
    Entry(AT, "stage", {"from": "new", "to": "nurturing"}),
    Entry(AT, "score", {"rule": "decision_maker", "points": 20, "cause": "intake"}),
    Entry(AT, "event", {"type": "pricing_page_view", "points": 15}),
    Entry(AT, "event", {"type": "email_open", "points": 0}),
    Entry(AT, "email", {"kind": "lead", "subject": "Thank you"}),
    Entry(AT, "stage", {"from": "nurturing", "to": "mql"}),
    Entry(AT, "stage", {"from": "mql", "to": "sales_pending"}),
    Entry(AT, "sales", {"event": "assigned", "rep": "Rep One"}),
    Entry(AT, "sales", {"event": "reject", "rep": "Rep One", "reason": "no_budget"}),
    Entry(AT, "sales", {"event": "notify_failed", "rep": "-"}),  # ops' business
    Entry(AT, "split", {}),  # an ops note
]


def test_recent_activity_in_words_without_arrows_stage_names_or_handoff_routine() -> None:
    en = [item["text"] for item in rep_words.recent_activity(TIMELINE, NEW_YORK, "en", MODEL, 20)]
    assert en == [
        "marketing started sending content",
        "Job title: decision maker (+20)",
        "viewed the pricing page (+15)",
        "opened a mail",
        "mail sent: “Thank you”",
        "became a marketing-qualified lead",
        "handed to sales",
        "rejected by Rep One (no budget)",
    ]
    ja = rep_words.recent_activity(TIMELINE, TOKYO, "ja", MODEL, 3)
    assert ja == [
        {"at": "12月1日(火) 15:00 JST", "text": "有望リードになりました"},
        {"at": "12月1日(火) 15:00 JST", "text": "営業に引き継ぎ"},
        {"at": "12月1日(火) 15:00 JST", "text": "Rep One さんが差し戻し（予算なし）"},
    ]


@pytest.mark.parametrize("language", rep_words.LANGUAGES)
def test_every_stage_event_and_sla_word_is_written_in_each_language(language: str) -> None:
    assert set(rep_words.STAGES[language]) == {s.value for s in Stage}
    assert set(rep_words.EVENTS[language]) == {e.value for e in EventType}
    quiet = {"notify_failed", "webhook_failed", "chat_failed"}  # not the rep's business
    assert set(rep_words.SALES[language]) == {k.value for k in SlaEventKind} - quiet
    for reason in (*SLA.reject_reasons, *SLA.lost_reasons):
        assert reason in rep_words.OUTCOME_REASONS[language]
    texts = [*rep_words.STAGES[language].values(), *rep_words.EVENTS[language].values()]
    for internal in ("→", "mql", "nurturing", "sales_pending", "_"):
        assert not any(internal in t for t in texts), internal
