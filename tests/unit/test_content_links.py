"""Content links: the site's pages and a campaign's asset, with nurture's UTM tags."""

import pytest

from nurture.rules.content_links import (
    BadContentLink,
    CampaignAsset,
    ContentLinks,
    is_web_url,
    resolve_assets,
    tagged,
    utm_for,
)

UTM = utm_for("wp-2026-q4", "whitepaper", "thanks")
TAGS = "utm_source=nurture&utm_medium=email&utm_campaign=wp-2026-q4&utm_content=whitepaper%2Fthanks"
PAPER = CampaignAsset(
    channel="whitepaper", title="The DX Guide", url="https://cdn.example.com/dx.pdf"
)
WEBINAR = CampaignAsset(
    channel="webinar",
    title="DX Live",
    url="https://www.example.com/webinars/dx-live",
    links={"recording": "https://video.example.com/dx", "slides": "https://www.example.com/s.pdf"},
)


def test_the_campaign_is_the_leads_source_else_the_scenario() -> None:
    assert utm_for("expo-tokyo", "webinar", "missed-recording").campaign == "expo-tokyo"
    assert utm_for(None, "webinar", "missed-recording").campaign == "webinar"
    assert utm_for("", "recycle", "check-in").content == "recycle/check-in"


def test_a_site_page_gets_the_four_tags() -> None:
    links = ContentLinks(site_url="https://www.example.com/", utm=UTM)
    assert links.site("/book-a-demo") == f"https://www.example.com/book-a-demo?{TAGS}"


def test_query_and_fragment_are_kept_and_utm_keys_never_doubled() -> None:
    url = "https://www.example.com/p?plan=pro&a=b%20c&flag&utm_campaign=old&UTM_Source=x#faq"
    assert tagged(url, UTM) == f"https://www.example.com/p?plan=pro&a=b%20c&flag&{TAGS}#faq"
    once = tagged(tagged(url, UTM), UTM)
    assert once == tagged(url, UTM)  # tagging twice changes nothing


def test_a_site_link_must_be_a_path_on_the_site() -> None:
    links = ContentLinks(site_url="https://www.example.com", utm=UTM)
    for bad in ("book-a-demo", "https://evil.example/x", "//evil.example/x"):
        with pytest.raises(BadContentLink, match="path on the site"):
            links.site(bad)


def test_a_named_link_else_the_site_page() -> None:
    links = ContentLinks(
        site_url="https://www.example.com", utm=UTM, named={"paper": "https://cdn.example.com/d"}
    )
    assert links.link("paper", "/resources") == f"https://cdn.example.com/d?{TAGS}"
    assert links.link("slides", "/webinars/slides") == (
        f"https://www.example.com/webinars/slides?{TAGS}"
    )


def test_the_campaigns_asset_names_and_links_the_paper() -> None:
    titles, links = resolve_assets({}, PAPER)
    assert titles == {"paper": "The DX Guide", "webinar": None}
    assert links == {"paper": "https://cdn.example.com/dx.pdf"}


def test_a_webinar_campaign_gives_the_webinar_and_its_links() -> None:
    titles, links = resolve_assets({}, WEBINAR)
    assert titles == {"paper": None, "webinar": "DX Live"}
    assert links["recording"] == "https://video.example.com/dx" and "paper" not in links


def test_the_leads_own_paper_wins_and_is_never_linked_to_another() -> None:
    """The form said which paper: its title, its URL if given, never the campaign's URL."""
    other = {"whitepaper_title": "Cloud Costs 101"}
    assert resolve_assets(other, PAPER) == ({"paper": "Cloud Costs 101", "webinar": None}, {})
    with_url = {**other, "whitepaper_url": "https://www.example.com/cloud.pdf"}
    site = "https://www.example.com"
    assert resolve_assets(with_url, PAPER, site)[1] == {
        "paper": "https://www.example.com/cloud.pdf"
    }
    same = {"whitepaper_title": "The DX Guide"}
    assert resolve_assets(same, PAPER)[1] == {"paper": "https://cdn.example.com/dx.pdf"}


def test_neither_lead_nor_campaign_leaves_the_templates_words() -> None:
    assert resolve_assets({"whitepaper_url": "javascript:alert(1)"}, None) == (
        {"paper": None, "webinar": None},
        {},
    )


def test_a_leads_own_url_is_linked_only_on_a_host_the_company_links() -> None:
    """Intake attributes come from forms anyone fills in: a typed URL on another host is
    not put into the company's mail (the title still is)."""
    site = "https://www.example.com"
    typed = {"whitepaper_title": "Free prizes", "whitepaper_url": "https://evil.example.net/x"}
    assert resolve_assets(typed, None, site) == ({"paper": "Free prizes", "webinar": None}, {})
    assert resolve_assets(typed, PAPER, site)[1] == {}
    on_cdn = {"whitepaper_url": "https://CDN.example.com/other.pdf"}  # the campaign's host
    assert resolve_assets(on_cdn, PAPER, site)[1] == {"paper": "https://CDN.example.com/other.pdf"}


def test_a_url_with_a_control_character_is_not_a_web_url() -> None:
    """The API document's pattern and the check agree: no control character, no BOM."""
    assert is_web_url("https://www.example.com/guide_(2026).pdf?x=1#top")
    for bad in (
        "https://www.example.com/a\u001fb",
        "https://www.example.com/\u0085",
        "https://x.example/\ufeff",
    ):
        assert not is_web_url(bad), repr(bad)
