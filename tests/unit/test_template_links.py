"""Every link in every mail lands on a real page: content on the company's site (or the
campaign's own asset), tagged; only tracking, unsubscribe and rep links on nurture.

Every template of every scenario, in every language, text and HTML, with and without a
campaign asset, rendered as a send renders it and then tracked as a send tracks it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from nurture import mail, tokens
from nurture.cli.preview import HANDOFF, steps
from nurture.cli.preview_handoff import handoff_context
from nurture.rules import content_links
from nurture.rules.content_links import CampaignAsset
from nurture.tracking import Tracker
from tests.utils.template_folder import use_templates

SITE = "https://www.site.test"
PUBLIC = "http://nurture.test"
SECRET = "test-secret"
UNSUBSCRIBE = f"{PUBLIC}/u/token"
NURTURE_PATHS = ("/t/", "/u/")  # signed: click, open, unsubscribe
# Rep mail: the signed one-click pages, the workspace, and the sales API its text names
# for a rep's scripts (with their rep token).
REP_PATHS = ("/r/", "/sales/", "/v1/handoffs/")
CAMPAIGNS = {
    "none": None,
    "paper": CampaignAsset(
        channel="whitepaper",
        title="The DX Guide",
        url="https://cdn.example.com/dx-guide.pdf?v=2",
    ),
    "webinar": CampaignAsset(
        channel="webinar",
        title="DX Live",
        url="https://www.example.com/webinars/dx-live",
        links={
            "recording": "https://video.example.com/dx-live",
            "slides": "https://cdn.example.com/dx-live.pdf",
        },
    ),
}
_URL = re.compile(r"""https?://[^\s<>"')]+""")
_HREF = re.compile(r'(?:href|src)="([^"]+)"')


def scenario_steps() -> list[tuple[str, str]]:
    folders = sorted(p.name for p in mail.TEMPLATE_DIR.iterdir() if p.is_dir())
    return [(s, step) for s in folders if s != HANDOFF for step in steps(s)]


def step_context(scenario: str, step: str, campaign: CampaignAsset | None) -> dict[str, object]:
    """What activities.email gives a step template."""
    source = "wp-2026-q4" if campaign else None
    lead = {
        "id": "0",
        "name": "Suzuki Taro",
        "email": "taro@example.com",
        "company": "Example KK",
        "job_title": "CTO",
        "industry": "SaaS",
        "company_size": 300,
        "source": source,
        "scenario": scenario,
        "attributes": {},
    }
    utm = content_links.utm_for(source, scenario, step)
    return {
        "lead": lead,
        "rep": None,
        **content_links.template_values(SITE, utm, {}, campaign),
        "questions": ["How long does it take?"],
        "unsubscribe_url": UNSUBSCRIBE,
    }


def links_in(rendered: mail.RenderedMail) -> list[str]:
    hrefs = [html.unescape(u) for u in _HREF.findall(rendered.html)]
    return _URL.findall(rendered.text) + _URL.findall(html.unescape(rendered.html)) + hrefs


def misplaced(
    urls: list[str] | set[str], allowed_elsewhere: tuple[str, ...], nurture_paths: tuple[str, ...]
) -> list[str]:
    """The URLs that go neither to the site (or the campaign's asset) nor to a nurture path
    of `nurture_paths`; content links also need their four UTM tags."""
    wrong = []
    for url in urls:
        if url.startswith(f"{PUBLIC}/"):
            ok = urlsplit(url).path.startswith(nurture_paths)
        elif url.startswith((f"{SITE}/", *allowed_elsewhere)):
            query = parse_qs(urlsplit(url).query)
            ok = all(key in query for key in content_links.UTM_KEYS)
        else:
            ok = False
        if not ok:
            wrong.append(url)
    return wrong


def asset_urls(campaign: CampaignAsset | None) -> tuple[str, ...]:
    if campaign is None:
        return ()
    return tuple(u.split("?")[0] for u in [campaign.url or "", *campaign.links.values()] if u)


def check_step_links(scenario: str, step: str, language: str, campaign_name: str) -> None:
    campaign = CAMPAIGNS[campaign_name]
    rendered = mail.render(f"{scenario}/{step}", step_context(scenario, step, campaign), language)
    urls = links_in(rendered)
    assert urls, f"{scenario}/{step} has no link"
    assert not misplaced(urls, asset_urls(campaign), NURTURE_PATHS), (
        f"{scenario}/{step} ({language}) links outside the site: "
        f"{misplaced(urls, asset_urls(campaign), NURTURE_PATHS)}"
    )
    # As sent: every link tracked; each click token signs a link to the site or the asset.
    tracker = Tracker(base_url=PUBLIC, secret=SECRET, lead_id="0", message="m")
    sent = mail.RenderedMail(
        subject=rendered.subject,
        text=tracker.text(rendered.text),
        html=tracker.html(rendered.html),
    )
    sent_urls = links_in(sent)
    assert not misplaced(sent_urls, (), NURTURE_PATHS)
    signed = [
        tokens.read(SECRET, "click", t)
        for t in re.findall(r"/t/c/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", " ".join(sent_urls))
    ]
    targets = {str(p["u"]) for p in signed if not p.get("h")}
    assert targets == {u for u in urls if not u.startswith(f"{PUBLIC}/")}


@pytest.mark.parametrize("campaign_name", list(CAMPAIGNS))
@pytest.mark.parametrize("language", mail.LANGUAGES)
@pytest.mark.parametrize(("scenario", "step"), scenario_steps())
def test_every_content_link_goes_to_the_site_tagged(
    scenario: str, step: str, language: str, campaign_name: str
) -> None:
    check_step_links(scenario, step, language, campaign_name)


def test_every_scenario_template_is_checked() -> None:
    english = [
        p.relative_to(mail.TEMPLATE_DIR).as_posix().removesuffix(".txt.j2")
        for p in mail.TEMPLATE_DIR.glob("*/*.txt.j2")
        if not p.name.startswith("_") and ".ja." not in p.name and p.parent.name != HANDOFF
    ]
    assert sorted(english) == sorted(f"{s}/{step}" for s, step in scenario_steps())
    assert {"whitepaper/thanks", "webinar/missed-recording", "newsletter/monthly"} <= set(english)


@pytest.mark.parametrize("language", mail.LANGUAGES)
@pytest.mark.parametrize("name", steps(HANDOFF))
def test_rep_mail_links_only_to_nurtures_rep_pages(name: str, language: str) -> None:
    context = {
        **step_context("whitepaper", "thanks", None),
        **handoff_context(language, PUBLIC),
        "since": "Tue, Dec 1, 10:00 JST",  # the no-rep mail's
        "public_url": PUBLIC,
    }
    context.pop("unsubscribe_url")
    rendered = mail.render(f"{HANDOFF}/{name}", context, language)
    urls = links_in(rendered)
    assert not misplaced(urls, (), REP_PATHS)
    assert bool(urls) == (name not in ("no-rep", "withdrawn", "reassigned"))  # say, no link


def test_the_paper_the_campaign_offers_is_named_and_linked() -> None:
    context = step_context("whitepaper", "thanks", CAMPAIGNS["paper"])
    rendered = mail.render("whitepaper/thanks", context)
    assert rendered.subject == "Thank you for downloading The DX Guide"
    assert (
        "Read it again any time: https://cdn.example.com/dx-guide.pdf?v=2&utm_source=nurture"
        "&utm_medium=email&utm_campaign=wp-2026-q4&utm_content=whitepaper%2Fthanks"
    ) in rendered.text
    ja = mail.render("whitepaper/thanks", context, "ja")
    assert (
        "「The DX Guide」" in ja.subject and "https://cdn.example.com/dx-guide.pdf?v=2&" in ja.text
    )


def test_the_webinar_campaigns_recording_and_slides() -> None:
    context = step_context("webinar", "thanks-recording", CAMPAIGNS["webinar"])
    rendered = mail.render("webinar/thanks-recording", context)
    assert "DX Live" in rendered.subject
    assert "- Slides: https://cdn.example.com/dx-live.pdf?utm_source=nurture" in rendered.text
    assert "- Recording: https://video.example.com/dx-live?utm_source=" in rendered.text
    missed = mail.render(
        "webinar/missed-recording",
        step_context("webinar", "missed-recording", CAMPAIGNS["webinar"]),
    )
    assert 'href="https://video.example.com/dx-live?utm_source=nurture&amp;' in missed.html
    assert f'href="{SITE}/webinars/next?utm_source=nurture&amp;' in missed.html


def test_a_template_linking_to_the_api_host_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: a step that hard-codes a link on nurture's host."""
    bad = (
        (mail.TEMPLATE_DIR / "whitepaper/demo-offer.txt.j2")
        .read_text()
        .replace("{{ site('/book-a-demo') }}", f"{PUBLIC}/book-a-demo")
    )
    use_templates(monkeypatch, tmp_path / "templates", {"whitepaper/demo-offer.txt.j2": bad})
    with pytest.raises(AssertionError, match=r"links outside the site: \['http://nurture.test/"):
        check_step_links("whitepaper", "demo-offer", "en", "none")


def test_a_site_link_that_is_no_path_names_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = (
        (mail.TEMPLATE_DIR / "whitepaper/demo-offer.txt.j2")
        .read_text()
        .replace("site('/book-a-demo')", "site('https://evil.example/')")
    )
    use_templates(monkeypatch, tmp_path / "templates", {"whitepaper/demo-offer.txt.j2": bad})
    with pytest.raises(mail.TemplateBroken, match=r"demo-offer\.txt\.j2: .*path on the site"):
        mail.render("whitepaper/demo-offer", step_context("whitepaper", "demo-offer", None))
