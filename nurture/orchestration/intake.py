"""What a lead intake carries, checked the same way for the API and the CSV importer."""

from __future__ import annotations

import zoneinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from nurture.mail import LANGUAGES
from nurture.wire_types import Email, HeadCount
from scenarios import SCENARIOS

SCENARIO_NAMES: list[JsonValue] = [*sorted(SCENARIOS)]
TIME_ZONES: list[JsonValue] = [*sorted(zoneinfo.available_timezones())]


class LeadIn(BaseModel):
    # A misspelt field (`jobtitle`) would lose its points without a word: refused instead,
    # naming it; free-form data goes in `attributes`.
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: str = Field(default="", max_length=200)
    company: str = Field(default="", max_length=200)
    job_title: str = Field(default="", max_length=200)
    industry: str = Field(default="", max_length=200)
    company_size: HeadCount | None = None
    source: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9_.:-]*$")
    scenario: str = Field(
        min_length=1, max_length=100, json_schema_extra={"enum": SCENARIO_NAMES}
    )  # checked by the route, which names the known ones
    timezone: str | None = Field(
        default=None,
        description="IANA time zone, e.g. Asia/Tokyo",
        json_schema_extra={"anyOf": [{"enum": TIME_ZONES}, {"type": "null"}]},
    )
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Tokyo)") from None
        return value

    @field_validator("attributes")
    @classmethod
    def _language(cls, value: dict[str, Any]) -> dict[str, Any]:
        language = value.get("language")
        if language is None:
            return value
        primary = str(language).replace("_", "-").split("-")[0].lower()
        if not isinstance(language, str) or primary not in LANGUAGES:
            raise ValueError(
                f"language {language!r} is not one we write mail in; one of: "
                f"{', '.join(LANGUAGES)} (a region such as ja-JP is fine)"
            )
        return value
