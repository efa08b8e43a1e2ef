"""Which campaign an event names (nurture.rules.touches)."""

from __future__ import annotations

from nurture.rules.touches import campaign_of, intake_ref


def test_utm_campaign_in_the_properties_names_it() -> None:
    assert campaign_of("page_view", {"utm_campaign": " expo-2026 "}) == "expo-2026"


def test_a_tools_campaign_field_as_key_or_object() -> None:
    assert campaign_of("webinar_registered", {"campaign": "dx-webinar"}) == "dx-webinar"
    assert campaign_of("whitepaper_download", {"campaign": {"key": "wp-2026"}}) == "wp-2026"
    assert campaign_of("ad_click", {"campaign": {"name": "spring-ads"}}) == "spring-ads"


def test_a_value_that_cannot_be_a_campaign_key_names_none() -> None:
    """Keys have a lead source's form; prose or a spreadsheet formula is no campaign."""
    assert campaign_of("page_view", {"utm_campaign": "Spring ads"}) is None
    assert campaign_of("page_view", {"utm_campaign": '=HYPERLINK("x")'}) is None
    assert campaign_of("page_view", {"campaign": "wp:2026.q4_a-b"}) == "wp:2026.q4_a-b"


def test_a_clicked_urls_utm_campaign_names_it() -> None:
    url = "https://www.example.com/demo?utm_source=nurture&utm_campaign=wp-2026#top"
    assert campaign_of("email_click", {"url": url, "message": "m1"}) == "wp-2026"


def test_utm_in_the_properties_wins_over_the_url() -> None:
    url = "https://www.example.com/?utm_campaign=from-url"
    assert campaign_of("page_view", {"utm_campaign": "direct", "url": url}) == "direct"


def test_events_that_name_no_campaign() -> None:
    assert campaign_of("page_view", {}) is None
    assert campaign_of("page_view", {"url": "https://www.example.com/pricing"}) is None
    assert campaign_of("page_view", {"utm_campaign": "  ", "campaign": 3}) is None
    assert campaign_of("email_click", {"url": "not a url utm_campaign"}) is None


def test_long_keys_are_cut_to_the_campaign_key_length() -> None:
    assert campaign_of("page_view", {"utm_campaign": "x" * 300}) == "x" * 100
    assert len(intake_ref("y" * 300)) == 200
