"""Which campaign a behaviour event names: the touches multi-touch attribution credits.

A touch is a moment a campaign reached a lead. Intake names one through the lead's
`source`; an event names one through its properties: `utm_campaign` (a site's analytics,
a Segment call's `context.campaign`), `campaign` (a form or webinar tool's own field,
a key or an object with `key` or `name`), or the `utm_campaign` of a clicked `url` (the
links in nurture's own mails carry it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_KEY = 100  # Campaign.key's length
# A lead's `source` (a campaign key) has this form; a value that could not be one (anyone's
# UTM tags reach the site: `=HYPERLINK(...)`, prose) names no campaign and is no touch.
KEY = re.compile(r"^[A-Za-z0-9_.:-]+$")


def _key(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("key") or value.get("name")
    if not isinstance(value, str):
        return None
    text = value.strip()[:MAX_KEY]
    return text if KEY.match(text) else None


def _from_url(value: Any) -> str | None:
    if not isinstance(value, str) or "utm_campaign" not in value:
        return None
    try:
        query = parse_qs(urlsplit(value).query)
    except ValueError:
        return None
    values = query.get("utm_campaign")
    return _key(values[0]) if values else None


def campaign_of(event_type: str, properties: dict[str, Any]) -> str | None:
    """The campaign key the event names, or None (most page views name none)."""
    del event_type  # every type may carry a campaign; kept for rules per type later
    return (
        _key(properties.get("utm_campaign"))
        or _key(properties.get("campaign"))
        or _from_url(properties.get("url"))
    )


def intake_ref(campaign: str) -> str:
    """One intake touch per lead and campaign: a second form fill of the same campaign
    is the same touch, another campaign's form is a new one."""
    return f"intake:{campaign}"[:200]
