"""The Slack message of a handoff notice: Block Kit a rep reads, with buttons to the lead's
page in the /sales workspace (never a rep's signed link: the channel is shared)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nurture.chat_blocks import ChatNotice, message
from nurture.models import NoticeKind
from nurture.rules import rep_words
from scenarios.scoring import MODEL

PAGE = "https://n.example/sales/handoffs/handoff-x-1"
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tue 09:00 in Tokyo
DEADLINE = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tue 15:00 in Tokyo
BREAKDOWN = {
    "top_industry": 15,
    "decision_maker": 20,
    "pricing_page_view": 15,
    "sweet_spot_size": 10,
    "email_open": 0,
}


def notice(**changes: Any) -> ChatNotice:
    fields: dict[str, Any] = {
        "kind": NoticeKind.ASSIGNED,
        "rep_name": "Rep One",
        "lead_name": "Kato Mei",
        "company": "Kato Seiki",
        "score": 60,
        "priority": "normal",
        "deadline": DEADLINE,
        "zone": TOKYO,
        "lead_url": PAGE,
        "why": rep_words.why(BREAKDOWN, "en", MODEL),
    }
    fields.update(changes)
    return ChatNotice(**fields)


def texts(body: dict[str, Any]) -> str:
    """Every text of the blocks, as one string."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body["blocks"])
    return "\n".join(found)


def buttons(body: dict[str, Any]) -> dict[str, str]:
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    assert all(e["type"] == "button" for e in actions["elements"])
    return {e["text"]["text"]: e["url"] for e in actions["elements"]}


def test_an_assignment_names_the_lead_score_deadline_why_and_rep() -> None:
    body = message(notice())
    assert [b["type"] for b in body["blocks"]] == [
        "header",
        "section",
        "section",
        "section",
        "actions",
        "context",
    ]
    assert body["blocks"][0]["text"] == {"type": "plain_text", "text": "New lead for Rep One"}
    words = texts(body)
    assert "*Kato Mei* (Kato Seiki) is ready for sales: score *60*, normal priority." in words
    assert "*Deadline*\nacknowledge by Tue, Dec 1, 15:00 JST" in words
    assert "*Rep*\nRep One" in words
    assert "*Why:* decision maker, top-target industry, viewed pricing" in words
    assert "email" not in words.lower()  # no points, no reason
    assert "The buttons open the lead in the sales workspace; Rep One acts there" in words
    # The notification's own line (phones show only this) says the same in short.
    assert body["text"] == (
        "New lead for Rep One: Kato Mei (Kato Seiki), score 60, "
        "acknowledge by Tue, Dec 1, 15:00 JST"
    )


def test_the_buttons_open_the_lead_page_in_the_workspace_never_a_signed_link() -> None:
    found = buttons(message(notice()))
    assert found == {
        "Acknowledge": f"{PAGE}#form-ack",
        "Reject…": f"{PAGE}#details-reject",
        "Open lead": PAGE,
    }
    assert "/r/" not in json.dumps(message(notice()))
    [actions] = [b for b in message(notice())["blocks"] if b["type"] == "actions"]
    assert actions["elements"][0]["style"] == "primary"
    assert len({e["action_id"] for e in actions["elements"]}) == 3  # Slack wants them unique


def test_reminder_escalation_and_reassignment_say_what_happened() -> None:
    reminder = message(notice(kind=NoticeKind.REMINDER))
    assert reminder["blocks"][0]["text"]["text"] == "Reminder for Rep One: the deadline has passed"
    assert "was due Tue, Dec 1, 15:00 JST" in texts(reminder)
    assert "still waiting for Rep One" in texts(reminder)
    manager = message(notice(kind=NoticeKind.MANAGER))
    assert manager["blocks"][0]["text"]["text"] == "Escalated: Rep One has not acknowledged in time"
    assert "their manager has been told" in texts(manager)
    moved = message(notice(rep_name="Rep Two", reassigned=True))
    assert moved["blocks"][0]["text"]["text"] == "Lead reassigned to Rep Two"
    assert "acknowledge by" in texts(moved)


def test_no_internal_terms_reach_the_channel() -> None:
    for kind in (NoticeKind.ASSIGNED, NoticeKind.REMINDER, NoticeKind.MANAGER):
        body = message(notice(kind=kind))
        said = texts(body) + "\n" + body["text"]  # what people read (the URLs aside)
        for term in ("round-robin", "→", "handoff-x-1", "sales_pending", "rep_id"):
            assert term not in said, (kind, term)


def test_names_from_a_form_cannot_ping_the_channel_or_break_the_markup() -> None:
    body = message(notice(lead_name="<!channel> Tom & Jerry", company="<https://evil|Bank>"))
    dumped = json.dumps(body)
    assert "<!channel>" not in dumped and "<https://evil" not in dumped
    assert "*&lt;!channel&gt; Tom &amp; Jerry* (&lt;https://evil|Bank&gt;)" in texts(body)
    assert "&lt;!channel&gt; Tom &amp; Jerry" in body["text"]


def test_long_names_are_clipped_to_slacks_limits() -> None:
    body = message(notice(rep_name="R" * 300, lead_name="L" * 5000))
    assert len(body["blocks"][0]["text"]["text"]) <= 150
    assert all(len(f["text"]) <= 2000 for f in body["blocks"][2]["fields"])
    assert len(body["blocks"][1]["text"]["text"]) <= 2000


def test_a_lead_without_a_name_or_company_still_reads() -> None:
    body = message(notice(lead_name="", company="", deadline=None))
    assert "*A lead* is ready for sales" in texts(body)
    assert "*Deadline*\nno deadline" in texts(body)


def test_a_japanese_rep_in_new_york_reads_japanese_and_their_own_time() -> None:
    york = ZoneInfo("America/New_York")
    body = message(notice(language="ja", zone=york, why=rep_words.why(BREAKDOWN, "ja", MODEL)))
    words = texts(body)
    assert body["blocks"][0]["text"]["text"] == "Rep Oneさんに新しいリード"
    assert "*Kato Mei* (Kato Seiki) が営業対応の準備ができました: スコア *60*" in words
    assert "12月1日(火) 01:00 EST までに受領" in words  # 15:00 in Tokyo is 01:00 in New York
    assert "決裁者" in words and "JST" not in words
    assert set(buttons(body)) == {"受領する", "差し戻す…", "リードを開く"}
