"""Every step a scenario sends has a text and an HTML template that render."""

import ast
from pathlib import Path

import pytest

from nurture import mail
from scenarios import SCENARIOS

SCENARIO_DIR = Path(mail.TEMPLATE_DIR).parent


def _sent_steps() -> list[tuple[str, str]]:
    found = []
    for name in SCENARIOS:
        tree = ast.parse((SCENARIO_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "send"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.append((name, str(node.args[0].value)))
    return found


UNSUBSCRIBE = "http://nurture.test/u/token"
CONTEXT = {
    "lead": {
        "id": "0",
        "name": "Suzuki Taro",
        "email": "taro@example.com",
        "company": "Example KK",
        "job_title": "CTO",
        "industry": "SaaS",
        "company_size": 300,
        "source": "wp",
        "scenario": "whitepaper",
        "attributes": {},
    },
    "public_url": "http://nurture.test",
    "paper": "The DX Guide",
    "webinar": "DX Live",
    "questions": ["<script>alert(1)</script>"],
    "unsubscribe_url": UNSUBSCRIBE,
    "rep": None,
}


def test_scenarios_send_some_steps() -> None:
    assert len(_sent_steps()) >= 8


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(("scenario", "step"), _sent_steps())
def test_each_sent_step_renders_in_both_languages(scenario: str, step: str, language: str) -> None:
    rendered = mail.render(f"{scenario}/{step}", CONTEXT, language)
    assert rendered.subject and "\n" not in rendered.subject
    assert "Suzuki Taro" in rendered.text and "Suzuki Taro" in rendered.html
    assert "<script>" not in rendered.html  # lead-supplied text is escaped in HTML
    assert UNSUBSCRIBE in rendered.text and UNSUBSCRIBE in rendered.html
    if language == "ja":
        assert "様" in rendered.text and "配信停止" in rendered.text
        assert '<html lang="ja">' in rendered.html
    else:
        assert "Unsubscribe" in rendered.text


def test_the_assigned_rep_signs_marketing_mail() -> None:
    context = {**CONTEXT, "rep": {"name": "Sato Aiko", "email": "aiko@sales.example.com"}}
    assert "Your contact: Sato Aiko" in mail.render("whitepaper/thanks", context).text
    assert "担当: Sato Aiko" in mail.render("whitepaper/thanks", context, "ja").text


def test_rep_notification_renders() -> None:
    rendered = mail.render(
        "handoff/rep-notification",
        {
            **CONTEXT,
            "rep": {"name": "Rep", "email": "rep@example.com"},
            "reason": "round-robin",
            "priority": "normal",
            "deadline": "Tue 2026-11-24 10:00 (Asia/Tokyo)",
            "handoff_id": "handoff-1",
            "handoff_url": "http://nurture.test/v1/handoffs/handoff-1",
            "reject_reasons": ["not_a_fit", "other"],
            "score": 61,
            "breakdown": [{"label": "Pricing page view", "points": 15}],
            "recent": [],
        },
    )
    assert "score 61" in rendered.subject
    assert "+15  Pricing page view" in rendered.text
    assert "acknowledge it by Tue 2026-11-24 10:00 (Asia/Tokyo)" in rendered.text
    assert "http://nurture.test/v1/handoffs/handoff-1/ack" in rendered.text


def test_missing_template_is_a_clear_error() -> None:
    with pytest.raises(mail.TemplateMissing, match="whitepaper/nope"):
        mail.render("whitepaper/nope", CONTEXT)
