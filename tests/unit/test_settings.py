"""Settings: dev runs on built-in secrets; anything else must bring real ones."""

from typing import Any

import pytest
from pydantic import ValidationError

from nurture.settings import Settings

STRONG = "x" * 32
PRODUCTION: dict[str, Any] = {
    "env": "production",
    "webhook_secret": STRONG,
    "secret_key": STRONG,
    "admin_token": STRONG,
    "site_url": "https://www.example.com/",
}


def test_dev_defaults_work_and_bring_demo_reps() -> None:
    settings = Settings(_env_file=None)
    assert settings.env == "dev"
    assert settings.temporal_address == "localhost:7233"
    assert settings.database_url == "sqlite:///.nurture/nurture.db"
    assert len(settings.sales_reps) == 2


def test_production_refuses_the_dev_secrets() -> None:
    with pytest.raises(ValidationError, match="NURTURE_WEBHOOK_SECRET, NURTURE_SECRET_KEY"):
        Settings(env="production")


def test_production_accepts_real_secrets() -> None:
    settings = Settings(**PRODUCTION)
    assert settings.sales_reps == []  # no demo reps outside dev
    assert settings.content_base == "https://www.example.com"


def test_reps_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NURTURE_SALES_REPS", "Sato Aiko <aiko@example.com>, ken@example.com")
    reps = Settings().sales_reps
    assert [(r.name, r.email) for r in reps] == [
        ("Sato Aiko", "aiko@example.com"),
        ("ken", "ken@example.com"),
    ]


def test_bad_rep_email_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NURTURE_SALES_REPS", "Sato <not-an-email>")
    with pytest.raises(ValidationError, match="email"):
        Settings()


def test_production_refuses_the_example_placeholders() -> None:
    with pytest.raises(ValidationError, match="NURTURE_ADMIN_TOKEN"):
        Settings(**{**PRODUCTION, "admin_token": "change-me-to-a-third-long-random-string"})


def test_the_slack_url_is_a_secret_and_blank_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://hooks.slack.com/services/T000/B000/the-token"
    monkeypatch.setenv("NURTURE_SLACK_WEBHOOK_URL", url)
    settings = Settings()
    assert settings.slack_webhook_url is not None
    assert settings.slack_webhook_url.get_secret_value() == url
    assert "the-token" not in settings.model_dump_json() and "the-token" not in repr(settings)
    monkeypatch.setenv("NURTURE_SLACK_WEBHOOK_URL", "  ")  # an .env line left empty
    assert Settings().slack_webhook_url is None


def test_write_keys_name_their_campaigns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NURTURE_SEGMENT_WRITE_KEYS", " key-one=webinar-2026 , key-two ,")
    keys = Settings().segment_write_keys
    assert [(k.key.get_secret_value(), k.campaign) for k in keys] == [
        ("key-one", "webinar-2026"),
        ("key-two", None),
    ]
    monkeypatch.setenv("NURTURE_SEGMENT_WRITE_KEYS", '{"key-three": "expo-2026"}')
    [key] = Settings().segment_write_keys
    assert (key.key.get_secret_value(), key.campaign) == ("key-three", "expo-2026")
    assert "key-three" not in repr(Settings())


def test_dev_has_a_dev_write_key_and_production_refuses_it() -> None:
    [dev] = Settings(_env_file=None).segment_write_keys
    assert dev.key.get_secret_value() == "dev-write-key"
    real = Settings(**PRODUCTION)
    assert real.segment_write_keys == []  # none: the SDK paths refuse every request
    with pytest.raises(ValidationError, match=r"NURTURE_SEGMENT_WRITE_KEYS \(key 2\)"):
        Settings.model_validate(
            {**real.model_dump(), "segment_write_keys": f"{STRONG}=a,dev-write-key=b"}
        )


def test_production_needs_the_site_that_content_links_go_to() -> None:
    with pytest.raises(ValidationError, match="needs NURTURE_SITE_URL, the company's website"):
        Settings(**{**PRODUCTION, "site_url": None})
    with pytest.raises(ValidationError, match="needs NURTURE_SITE_URL"):
        Settings(**{**PRODUCTION, "site_url": "  "})  # an .env line left empty


def test_the_site_url_is_a_web_address() -> None:
    bad_ones = ("www.example.com", "ftp://example.com", "https://example.com/?a=1", "https://[")
    for bad in (*bad_ones, "https://"):
        with pytest.raises(ValidationError, match="NURTURE_SITE_URL must be an http"):
            Settings(**{**PRODUCTION, "site_url": bad})


def test_dev_links_content_to_the_placeholder_site_on_the_api() -> None:
    """`make run` with no site: content links land on the dev API's placeholder pages."""
    settings = Settings(_env_file=None, public_url="http://localhost:8001/")
    assert settings.site_url == settings.content_base == "http://localhost:8001/site"
    assert Settings(site_url="https://www.example.com").content_base == "https://www.example.com"
