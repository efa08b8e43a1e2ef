"""A sample handoff for previewing the mails to sales reps (`nurture preview handoff <mail>`).

The words come from nurture.rules.rep_words, as the mail activity's do, so a preview shows
what a rep reading that language gets; the moment and the links are made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nurture.rules import rep_words
from scenarios.scoring import MODEL
from scenarios.sla import SLA

SAMPLE_AT = datetime(2026, 12, 1, 5, 5, tzinfo=UTC)  # a Tuesday, 14:05 in Tokyo
SAMPLE_BREAKDOWN = {"decision_maker": 20, "top_industry": 15, "pricing_page_view": 15}
SAMPLE_TIMELINE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("stage", {"to": "nurturing"}),
    ("event", {"type": "whitepaper_download", "points": 5}),
    ("event", {"type": "pricing_page_view", "points": 15}),
    ("stage", {"to": "mql"}),
    ("stage", {"to": "sales_pending"}),
    ("sales", {"event": "assigned", "rep": "Suzuki Ichiro"}),
)
LINKS = ("ack", "reject", "opportunity", "won", "lost", "view")


@dataclass(frozen=True)
class _Entry:
    """A timeline entry as the read model gives it (nurture.repo.leads.TimelineEntry)."""

    at: datetime
    kind: str
    data: dict[str, Any]


def handoff_context(language: str, public_url: str) -> dict[str, Any]:
    """What `activities.email` gives the handoff templates, for a sample lead and rep."""
    zone, day = SLA.calendar.zone, SLA.calendar.day_length
    normal = next(p for p in SLA.priorities if p.name == "normal")
    entries = [
        _Entry(at=SAMPLE_AT - timedelta(minutes=10 * (len(SAMPLE_TIMELINE) - n)), kind=k, data=d)
        for n, (k, d) in enumerate(SAMPLE_TIMELINE)
    ]
    return {
        "rep": {"name": "Suzuki Ichiro", "email": "ichiro@sales.example.com"},
        "score": sum(SAMPLE_BREAKDOWN.values()),
        "reason": rep_words.assignment_reason(
            "round-robin: next in turn of 3 available reps", language
        ),
        "priority": rep_words.priority_name(normal.name, language),
        "allowance": rep_words.business_span(normal.acknowledge_within, day, language),
        "priority_text": rep_words.priority_text(
            normal.name, normal.acknowledge_within, day, language
        ),
        "deadline": rep_words.local_time(
            SLA.calendar.add(SAMPLE_AT, normal.acknowledge_within), zone, language
        ),
        "why": rep_words.why(SAMPLE_BREAKDOWN, language, MODEL),
        "axes": rep_words.axes(*rep_words.lead_axes(None, None, SAMPLE_BREAKDOWN, MODEL), language),
        "breakdown": rep_words.breakdown_lines(SAMPLE_BREAKDOWN, language, MODEL),
        "group": [],  # an account handed over as a whole lists its other engaged people
        "account_name": "Acme KK",  # and names the company so
        "recent": rep_words.recent_activity(entries, zone, language, MODEL, 8),
        "new_rep": "Sato Aiko",
        "manager_note": "",  # a manager's note when they moved the lead (shown if set)
        "handoff_id": "handoff-preview-1",
        "handoff_url": f"{public_url}/v1/handoffs/handoff-preview-1",
        "links": {a: f"{public_url}/r/preview-{a}" for a in LINKS},
        "links_expire": rep_words.local_time(SAMPLE_AT + timedelta(hours=72), zone, language),
        "public_url": public_url,
    }
