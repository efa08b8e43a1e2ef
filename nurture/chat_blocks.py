"""A handoff notice as a Slack Block Kit message: what the rep reads in the channel.

Pure: the chat activity loads the lead and the rep and hands them here, so the wording is
unit-tested without Slack. The buttons open the lead's page in the /sales workspace, never
a rep's signed one-click link: a channel is shared, and the workspace acts only for the
rep signed in as the handoff's own (anyone else gets its 403 page). Names come from
marketing forms, so every text Slack would parse as mrkdwn is escaped (a lead named
`<!channel>` pings nobody).
Slack's limits (header 150 characters, button text 75) are kept by clipping. The words are
the rep's (language and time zone, nurture.rules.rep_words), as in their mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nurture.models import NoticeKind
from nurture.rules import rep_words

HEADER_MAX = 150
FIELD_MAX = 2000
# (action ID, where on the lead page): the page's own forms, found by their IDs.
BUTTONS = (("ack", "#form-ack"), ("reject", "#details-reject"), ("view", ""))
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "ack": "Acknowledge",
        "reject": "Reject…",
        "view": "Open lead",
        "new": "New lead for {rep}",
        "reminder": "Reminder for {rep}: the deadline has passed",
        "manager": "Escalated: {rep} has not acknowledged in time",
        "moved": "Lead reassigned to {rep}",
        "ready": "{who} is ready for sales: score *{score}*, {priority} priority.",
        "waiting": "{who} is still waiting for {rep} to acknowledge.",
        "late": "{who} was not acknowledged by {rep} in time; their manager has been told.",
        "score": "Score",
        "priority": "Priority",
        "deadline": "Deadline",
        "rep": "Rep",
        "why": "Why",
        "due": "acknowledge by {at}",
        "was_due": "was due {at}",
        "no_deadline": "no deadline",
        "a_lead": "A lead",
        "note": "The buttons open the lead in the sales workspace; {rep} acts there once "
        "signed in (a sign-in link is mailed on the first visit).",
        "text": "{title}: {lead}, score {score}, {deadline}",
        "group": "*{company} comes as a whole:* its buying group is ready, {n} people "
        "engaged. With {names}.",
    },
    "ja": {
        "ack": "受領する",
        "reject": "差し戻す…",
        "view": "リードを開く",
        "new": "{rep}さんに新しいリード",
        "reminder": "{rep}さんへのリマインド: 期限を過ぎました",
        "manager": "エスカレーション: {rep}さんが期限内に受領していません",
        "moved": "リードを{rep}さんに再割り当てしました",
        "ready": "{who} が営業対応の準備ができました: スコア *{score}*、優先度 {priority}。",
        "waiting": "{who} は{rep}さんの受領を待っています。",
        "late": "{who} は期限内に{rep}さんに受領されず、マネージャーに連絡しました。",
        "score": "スコア",
        "priority": "優先度",
        "deadline": "期限",
        "rep": "担当",
        "why": "理由",
        "due": "{at} までに受領",
        "was_due": "期限は {at} でした",
        "no_deadline": "期限なし",
        "a_lead": "リード",
        "note": "ボタンは営業ワークスペースでリードを開きます。{rep}さんはサインインして"
        "操作します（初回はサインインリンクがメールで届きます）。",
        "text": "{title}: {lead}、スコア {score}、{deadline}",
        "group": "*{company} を会社ごとお渡しします:* 購買グループが整いました（関心の高い方 "
        "{n} 名）。ほかに {names}。",
    },
}


@dataclass(frozen=True)
class ChatNotice:
    """What one Slack message says: a handoff notice with a way to the lead's page, in the
    words of the rep it is for (their language, their time zone)."""

    kind: NoticeKind
    rep_name: str
    lead_name: str
    company: str
    score: int
    priority: str  # the SLA's priority name: "hot", "normal"
    deadline: datetime | None
    zone: ZoneInfo  # the rep's (else the SLA calendar's)
    lead_url: str  # the lead's page in the workspace: NURTURE_PUBLIC_URL/sales/handoffs/<id>
    why: str = ""  # the score breakdown in words (rep_words.why)
    reassigned: bool = False  # an assignment that moved the lead from another rep
    language: str = "en"
    group: tuple[str, ...] = ()  # an account handed over as a whole: its other people's names
    account: str = ""  # and the company, as its account names it


def escape(text: str) -> str:
    """Text as Slack mrkdwn shows it literally (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _words(notice: ChatNotice) -> dict[str, str]:
    return WORDS.get(notice.language, WORDS["en"])


def headline(notice: ChatNotice) -> str:
    """One line saying what happened and for whom (plain text)."""
    w, rep = _words(notice), notice.rep_name
    if notice.kind == NoticeKind.REMINDER:
        return w["reminder"].format(rep=rep)
    if notice.kind == NoticeKind.MANAGER:
        return w["manager"].format(rep=rep)
    return (w["moved"] if notice.reassigned else w["new"]).format(rep=rep)


def deadline_words(notice: ChatNotice) -> str:
    w = _words(notice)
    if notice.deadline is None:
        return w["no_deadline"]
    at = rep_words.local_time(notice.deadline, notice.zone, notice.language)
    late = notice.kind in (NoticeKind.REMINDER, NoticeKind.MANAGER)
    return (w["was_due"] if late else w["due"]).format(at=at)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(notice: ChatNotice) -> str:
    name = escape(notice.lead_name) if notice.lead_name else _words(notice)["a_lead"]
    company = f" ({escape(notice.company)})" if notice.company else ""
    return f"*{name}*{company}"


def _summary(notice: ChatNotice) -> str:
    w, who, rep = _words(notice), _who(notice), escape(notice.rep_name)
    if notice.kind == NoticeKind.REMINDER:
        return w["waiting"].format(who=who, rep=rep)
    if notice.kind == NoticeKind.MANAGER:
        return w["late"].format(who=who, rep=rep)
    priority = rep_words.priority_name(notice.priority, notice.language)
    return w["ready"].format(who=who, score=notice.score, priority=priority)


def _group(notice: ChatNotice) -> list[dict[str, Any]]:
    """The section naming the account's other engaged people (none: a lead on its own)."""
    if not notice.group:
        return []
    text = _words(notice)["group"].format(
        company=escape(notice.account or notice.company or "-"),
        n=len(notice.group) + 1,
        names=", ".join(escape(n) for n in notice.group),
    )
    return [{"type": "section", "text": _mrkdwn(text)}]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _clip(text, FIELD_MAX)}


def message(notice: ChatNotice) -> dict[str, Any]:
    """The incoming-webhook body: fallback `text` (for notifications) and the blocks."""
    w = _words(notice)
    title = _clip(headline(notice), HEADER_MAX)
    fields = [
        (w["score"], str(notice.score)),
        (w["priority"], rep_words.priority_name(notice.priority, notice.language)),
        (w["deadline"], deadline_words(notice)),
        (w["rep"], escape(notice.rep_name)),
    ]
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": action,
            "text": {"type": "plain_text", "text": w[action]},
            "url": notice.lead_url + anchor,
            **({"style": "primary"} if action == "ack" else {}),
        }
        for action, anchor in BUTTONS
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": _mrkdwn(_summary(notice))},
        {"type": "section", "fields": [_mrkdwn(f"*{k}*\n{v}") for k, v in fields]},
        {"type": "section", "text": _mrkdwn(f"*{w['why']}:* {escape(notice.why or '-')}")},
        *_group(notice),
        {"type": "actions", "elements": buttons},
        {"type": "context", "elements": [_mrkdwn(w["note"].format(rep=escape(notice.rep_name)))]},
    ]
    lead = escape(notice.lead_name or w["a_lead"].lower())
    company = f" ({escape(notice.company)})" if notice.company else ""
    text = w["text"].format(
        title=escape(title),
        lead=f"{lead}{company}",
        score=notice.score,
        deadline=deadline_words(notice),
    )
    return {"text": text, "blocks": blocks}
