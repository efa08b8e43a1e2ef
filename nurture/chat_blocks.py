"""A handoff notice as a Slack Block Kit message: what the rep reads in the channel.

Pure: the chat activity loads the lead and the rep and hands them here, so the wording is
unit-tested without Slack. The buttons open the lead's page in the /sales workspace, never
a rep's signed one-click link: a channel is shared, and the workspace acts only for the
rep signed in as the handoff's own (anyone else gets its 403 page). Names come from
marketing forms, so every text Slack would parse as mrkdwn is escaped (a lead named
`<!channel>` pings nobody).
Slack's limits (header 150 characters, button text 75) are kept by clipping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from nurture.models import NoticeKind

HEADER_MAX = 150
FIELD_MAX = 2000
# (action ID, label, where on the lead page): the page's own forms, found by their IDs.
BUTTONS = (
    ("ack", "Acknowledge", "#form-ack"),
    ("reject", "Reject…", "#details-reject"),
    ("view", "Open lead", ""),
)


@dataclass(frozen=True)
class ChatNotice:
    """What one Slack message says: a handoff notice with a way to the lead's page."""

    kind: NoticeKind
    rep_name: str
    lead_name: str
    company: str
    score: int
    priority: str  # the SLA's priority name: "hot", "normal"
    deadline: datetime | None
    zone: tzinfo  # the SLA calendar's: deadlines read as the SLA counts them
    lead_url: str  # the lead's page in the workspace: NURTURE_PUBLIC_URL/sales/handoffs/<id>
    why: list[tuple[str, int]] = field(default_factory=list)  # (rule label, points)
    reassigned: bool = False  # an assignment that moved the lead from another rep


def escape(text: str) -> str:
    """Text as Slack mrkdwn shows it literally (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(at: datetime, zone: tzinfo) -> str:
    """`Tue 2026-12-01 15:00 JST`: a time as a rep in the SLA's time zone reads it."""
    return at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def headline(notice: ChatNotice) -> str:
    """One line saying what happened and for whom (plain text)."""
    rep = notice.rep_name
    if notice.kind == NoticeKind.REMINDER:
        return f"Reminder for {rep}: the deadline has passed"
    if notice.kind == NoticeKind.MANAGER:
        return f"Escalated: {rep} has not acknowledged in time"
    if notice.reassigned:
        return f"Lead reassigned to {rep}"
    return f"New lead for {rep}"


def deadline_words(notice: ChatNotice) -> str:
    if notice.deadline is None:
        return "no deadline"
    due = when(notice.deadline, notice.zone)
    if notice.kind in (NoticeKind.REMINDER, NoticeKind.MANAGER):
        return f"was due {due}"
    return f"acknowledge by {due}"


def why_words(why: list[tuple[str, int]]) -> str:
    """The score breakdown in words, biggest first: `Job title: decision maker +20, ...`."""
    ordered = sorted((item for item in why if item[1]), key=lambda item: -item[1])
    return ", ".join(f"{label} {points:+d}" for label, points in ordered) or "-"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(notice: ChatNotice) -> str:
    name = escape(notice.lead_name) if notice.lead_name else "A lead"
    company = f" ({escape(notice.company)})" if notice.company else ""
    return f"*{name}*{company}"


def _summary(notice: ChatNotice) -> str:
    who, rep = _who(notice), escape(notice.rep_name)
    if notice.kind == NoticeKind.REMINDER:
        return f"{who} is still waiting for {rep} to acknowledge."
    if notice.kind == NoticeKind.MANAGER:
        return f"{who} was not acknowledged by {rep} in time; their manager has been told."
    return f"{who} is ready for sales: score *{notice.score}*, {notice.priority} priority."


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _clip(text, FIELD_MAX)}


def message(notice: ChatNotice) -> dict[str, Any]:
    """The incoming-webhook body: fallback `text` (for notifications) and the blocks."""
    title = _clip(headline(notice), HEADER_MAX)
    fields = [
        ("Score", str(notice.score)),
        ("Priority", notice.priority),
        ("Deadline", deadline_words(notice)),
        ("Rep", escape(notice.rep_name)),
    ]
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": action,
            "text": {"type": "plain_text", "text": label},
            "url": notice.lead_url + anchor,
            **({"style": "primary"} if action == "ack" else {}),
        }
        for action, label, anchor in BUTTONS
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": _mrkdwn(_summary(notice))},
        {"type": "section", "fields": [_mrkdwn(f"*{k}*\n{v}") for k, v in fields]},
        {"type": "section", "text": _mrkdwn(f"*Why:* {escape(why_words(notice.why))}")},
        {"type": "actions", "elements": buttons},
    ]
    note = (
        f"The buttons open the lead in the sales workspace; {escape(notice.rep_name)} acts "
        "there once signed in (a sign-in link is mailed on the first visit)."
    )
    blocks.append({"type": "context", "elements": [_mrkdwn(note)]})
    lead = escape(notice.lead_name or "a lead")
    company = f" ({escape(notice.company)})" if notice.company else ""
    text = f"{escape(title)}: {lead}{company}, score {notice.score}, {deadline_words(notice)}"
    return {"text": text, "blocks": blocks}
