"""Everything nurture writes to a sales rep speaks the rep's language and time zone: the
handoff mail read back from the SMTP sink, and the link's page in headless Chromium."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from nurture.mailsink import MailSink
from nurture.rules.rep_words import local_time
from nurture.settings import RepConfig, Settings
from tests.utils.api import REP_ONE
from tests.utils.browser import phone_in_chromium
from tests.utils.handoffs import handed_off, rep_links_in_mail
from tests.utils.stack import ApiServer

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
REPS = [
    RepConfig(
        name="Rep One",
        email="rep.one@sales.example.com",
        manager="boss@sales.example.com",
        language="en",
        timezone="America/New_York",
    ),
    RepConfig(name="Rep Two", email="rep.two@sales.example.com", language="ja"),  # zone: SLA's
    RepConfig(name="Rep Three", email="rep.three@sales.example.com"),
]
# Words of nurture's insides that a rep must never read.
INTERNAL = ("→", "->", "round-robin", "nurturing", "sales_pending", "mql", "UTC", "_")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sales_reps": REPS})


def words_only(text: str) -> str:
    """The text without its links (signed tokens are random letters)."""
    return re.sub(r"""https?://[^\s"'<>]+""", "", text)


def internal_terms(text: str) -> list[str]:
    said = words_only(text)
    return [term for term in INTERNAL if term in said]


async def _deadline(http: httpx.AsyncClient, handoff: str, token: dict[str, str]) -> datetime:
    r = await http.get(f"/v1/handoffs/{handoff}", headers=token)
    assert r.status_code == 200, r.text
    return datetime.fromisoformat(r.json()["deadline_at"])


async def test_an_english_rep_in_new_york_reads_words_and_their_own_time(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    handoff, _ = await handed_off(http, stack)
    deadline = await _deadline(http, handoff, REP_ONE)
    links, html = await rep_links_in_mail(smtp, stack)
    notice = next(m for m in smtp.messages if m.to == "rep.one@sales.example.com")
    text = notice.text()

    assert notice.subject == "Kato Mei (Kato Seiki) is ready for sales: score 60"
    why = "Why this lead:  decision maker, top-target industry, viewed pricing"
    assert why in text, text
    # The score's two axes beside it (a CEO in manufacturing, 45 fit points; one pricing view).
    assert (
        "Score 60 (Fit A · Engagement 15):" in text and "Score 60 · Fit A · Engagement 15" in html
    )
    assert "Why you:        you are next in turn among 3 reps" in text
    assert "It is a normal lead: please acknowledge it within 1 business day" in text
    shown = local_time(deadline, NEW_YORK, "en")
    assert re.fullmatch(r"\w{3}, \w{3} \d{1,2}, \d\d:\d\d E[SD]T", shown), shown
    assert f"by {shown}." in text and shown in html
    assert "became a marketing-qualified lead" in text and "viewed the pricing page" in text
    assert "JST" not in text  # every time in the rep's zone, the links' expiry too
    assert internal_terms(text) == [] and internal_terms(html) == []

    async with phone_in_chromium() as page:
        await page.goto(links["Acknowledge"])
        lead = await page.inner_text("#lead")
        assert shown in lead and "waiting for your acknowledgement" in lead, lead
        await page.click("button[type=submit]")
        outcome = await page.inner_text("#outcome")
        done = r"Acknowledged at \d\d:\d\d E[SD]T, (\d+ h )?\d+ min before the deadline\."
        assert re.search(done, outcome), outcome
        assert internal_terms(await page.inner_text("body")) == []


async def test_a_japanese_rep_reads_japanese_mail_and_pages(
    stack: ApiServer, http: httpx.AsyncClient, smtp: MailSink
) -> None:
    await handed_off(http, stack, email="first@customer.example.com")  # Rep One's turn
    # another company: a second lead of the first's would stay with Rep One (its account)
    handoff, _ = await handed_off(http, stack, email="second@other-customer.co.jp")
    deadline = await _deadline(http, handoff, stack.admin)
    links, html = await rep_links_in_mail(smtp, stack, "rep.two@sales.example.com", "ja")
    notice = next(m for m in smtp.messages if m.to == "rep.two@sales.example.com")
    text = notice.text()

    assert notice.subject == "営業対応のお願い: Kato Mei 様（Kato Seiki）スコア 60"
    assert "このリードの理由:  決裁者、重点業種、料金ページを閲覧" in text, text
    assert "あなたが担当の理由:  3名の担当者のうち、あなたの順番でした" in text
    shown = local_time(deadline, TOKYO, "ja")
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d\d:\d\d JST", shown), shown
    assert f"1営業日以内、{shown} までに受領してください" in text and shown in html
    assert "スコア 60（適合度 A · 関心度 15） の内訳:" in text, text
    assert "+20  役職: 決裁者" in text and "有望リードになりました" in text
    assert "Hello" not in text and "Respond" not in text and '<html lang="ja">' in html
    assert internal_terms(text) == [] and internal_terms(html) == []

    async with phone_in_chromium() as page:
        await page.goto(links["Reject…"])
        assert await page.get_attribute("html", "lang") == "ja"
        lead = await page.inner_text("#lead")
        assert shown in lead and "受領待ち" in lead and "通常" in lead, lead
        options = await page.eval_on_selector_all("#reason option", "os => os.map(o => o.text)")
        assert "予算なし" in options, options
        assert internal_terms(await page.inner_text("body")) == []
        await page.goto(links["Acknowledge"])
        await page.click("button[type=submit]")
        outcome = await page.inner_text("#outcome")
        done = r"\d\d:\d\d JST に受領しました（期限の(\d+時間)?(\d+分)?前）"
        assert re.search(done, outcome), outcome
        assert internal_terms(await page.inner_text("body")) == []
