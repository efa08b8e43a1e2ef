"""Every step a scenario sends has a text and an HTML template that render, in English and
in each language the step is translated to; an untranslated step falls back to English whole."""

import ast
import inspect
from pathlib import Path

import pytest

from nurture import mail
from nurture.authoring.scenario_spec import Scenario
from nurture.cli.preview_handoff import handoff_context
from nurture.rules import content_links
from scenarios import SCENARIOS
from tests.utils.template_folder import en_only_step, use_templates


def sent_steps(registry: dict[str, Scenario]) -> list[tuple[str, str]]:
    """(scenario, step) for every `lead.send("step")` in the modules of the registered
    scenarios, wherever each module lives and whatever it is called."""
    found = []
    for name, scenario in registry.items():
        tree = ast.parse(Path(inspect.getsourcefile(scenario.run) or "").read_text())
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


def translated(scenario: str, step: str, language: str) -> bool:
    return (mail.TEMPLATE_DIR / f"{scenario}/{step}.{language}.txt.j2").exists()


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
    **content_links.template_values(
        "https://www.site.test",
        content_links.utm_for("wp", "whitepaper", "thanks"),
        {"whitepaper_title": "The DX Guide", "webinar_title": "DX Live"},
        None,
    ),
    "questions": ["<script>alert(1)</script>"],
    "unsubscribe_url": UNSUBSCRIBE,
    "rep": None,
}


def test_scenarios_send_some_steps() -> None:
    assert len(sent_steps(SCENARIOS)) >= 8


def check_step_renders(scenario: str, step: str, language: str) -> None:
    """What a lead reading `language` gets for this step: the translation when there is
    one, else the English mail whole (no Japanese footer or words under an English body)."""
    rendered = mail.render(f"{scenario}/{step}", CONTEXT, language)
    assert rendered.subject and "\n" not in rendered.subject
    assert "Suzuki Taro" in rendered.text and "Suzuki Taro" in rendered.html
    assert "<script>" not in rendered.html  # lead-supplied text is escaped in HTML
    assert UNSUBSCRIBE in rendered.text and UNSUBSCRIBE in rendered.html
    if language == "ja" and translated(scenario, step, "ja"):
        assert rendered.language == "ja"
        assert "様" in rendered.text and "配信停止" in rendered.text
        assert '<html lang="ja">' in rendered.html
    else:
        assert rendered.language == "en"
        assert rendered == mail.render(f"{scenario}/{step}", CONTEXT, "en")
        assert "Unsubscribe" in rendered.text and '<html lang="en">' in rendered.html
        assert "配信停止" not in rendered.text + rendered.html


@pytest.mark.parametrize("language", mail.LANGUAGES)
@pytest.mark.parametrize(("scenario", "step"), sent_steps(SCENARIOS))
def test_each_sent_step_renders_in_both_languages(scenario: str, step: str, language: str) -> None:
    check_step_renders(scenario, step, language)


def test_an_untranslated_step_falls_back_to_english_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_templates(monkeypatch, tmp_path / "templates", en_only_step("whitepaper", "welcome"))
    check_step_renders("whitepaper", "welcome", "ja")
    rendered = mail.render("whitepaper/welcome", CONTEXT, "ja")
    assert rendered.subject == "Welcome, Example KK"


def test_missing_words_come_from_the_language_of_the_template() -> None:
    """No whitepaper title: each language's template says it in its own words."""
    untitled = {**CONTEXT, "paper": None}
    assert 'downloading "our whitepaper"' in mail.render("whitepaper/thanks", untitled).text
    ja = mail.render("whitepaper/thanks", untitled, "ja")
    assert "「ホワイトペーパー」" in ja.subject and "our whitepaper" not in ja.text


def test_an_undefined_variable_names_the_template_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = '{% extends "_layout.txt.j2" %}{% block subject %}{{ offer }}{% endblock %}'
    use_templates(monkeypatch, tmp_path / "templates", {"whitepaper/thanks.ja.txt.j2": broken})
    with pytest.raises(mail.TemplateBroken, match=r"^whitepaper/thanks\.ja\.txt\.j2: .*offer"):
        mail.render("whitepaper/thanks", CONTEXT, "ja")


def test_the_assigned_rep_signs_marketing_mail() -> None:
    context = {**CONTEXT, "rep": {"name": "Sato Aiko", "email": "aiko@sales.example.com"}}
    assert "Your contact: Sato Aiko" in mail.render("whitepaper/thanks", context).text
    assert "担当: Sato Aiko" in mail.render("whitepaper/thanks", context, "ja").text


HANDOFF_MAILS = ("rep-notification", "reminder", "manager-escalation", "withdrawn", "reassigned")


def handoff_mail(name: str, language: str) -> mail.RenderedMail:
    """A handoff mail with the sample handoff `nurture preview handoff` shows."""
    context = {**CONTEXT, **handoff_context(language, "http://nurture.test")}
    context.pop("unsubscribe_url")
    return mail.render(f"handoff/{name}", context, language)


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("name", HANDOFF_MAILS)
def test_every_mail_to_sales_is_written_in_both_languages(name: str, language: str) -> None:
    rendered = handoff_mail(name, language)
    assert rendered.language == language and f'<html lang="{language}">' in rendered.html
    assert rendered.subject and "\n" not in rendered.subject
    assert "Example KK" in rendered.subject and "Suzuki Taro" in rendered.text
    assert "Unsubscribe" not in rendered.text and "配信停止" not in rendered.text
    assert "JST" in rendered.text or name == "reassigned"
    if language == "ja":  # Japanese throughout: no English sentence left in
        assert "さん" in rendered.text and "Hello" not in rendered.text
        assert " by " not in rendered.text and "Sent by" not in rendered.text


def test_rep_notification_renders() -> None:
    rendered = handoff_mail("rep-notification", "en")
    assert rendered.subject == "Suzuki Taro (Example KK) is ready for sales: score 50"
    assert "+15  Pricing page view" in rendered.text
    assert "Why this lead:  decision maker, top-target industry, viewed pricing" in rendered.text
    assert "Why you:        you are next in turn among 3 reps" in rendered.text
    assert "acknowledge it within 1 business day, by Wed, Dec 2, 14:05 JST" in rendered.text
    assert (
        "Acknowledge (stops the SLA clock):\n  http://nurture.test/r/preview-ack" in rendered.text
    )
    assert 'href="http://nurture.test/r/preview-reject"' in rendered.html
    assert "curl" not in rendered.text


def test_rep_notification_in_japanese() -> None:
    rendered = handoff_mail("rep-notification", "ja")
    assert rendered.subject == "営業対応のお願い: Suzuki Taro 様（Example KK）スコア 50"
    assert "このリードの理由:  決裁者、重点業種、料金ページを閲覧" in rendered.text
    assert "1営業日以内、12月2日(水) 14:05 JST までに受領してください" in rendered.text
    assert "+15  料金ページの閲覧" in rendered.text
    assert ">受領する</a>" in rendered.html and ">差し戻す…</a>" in rendered.html


def test_missing_template_is_a_clear_error() -> None:
    with pytest.raises(mail.TemplateMissing, match="whitepaper/nope"):
        mail.render("whitepaper/nope", CONTEXT)
