"""How Segment-spec messages (Segment, RudderStack, any CDP) become nurture behaviour events.

Marketing engineers edit this table like the scoring model: a CDP sends every event the
site tracks, and only the names listed here (or already spelled as a nurture event type,
e.g. `pricing_page_view`) count. Everything else is accepted and reported as ignored.
"""

from __future__ import annotations

import re

from nurture.authoring import EventType
from scenarios import LONG_TERM

# Track event names (compared without regard to case or spacing) -> nurture event type.
TRACK_EVENTS: dict[str, EventType] = {
    "Pricing Page Viewed": EventType.PRICING_PAGE_VIEW,
    "Whitepaper Downloaded": EventType.WHITEPAPER_DOWNLOAD,
    "Document Downloaded": EventType.WHITEPAPER_DOWNLOAD,
    "Case Study Downloaded": EventType.CASE_STUDY_DOWNLOAD,
    "Webinar Registered": EventType.WEBINAR_REGISTERED,
    "Webinar Attended": EventType.WEBINAR_ATTENDED,
    "Webinar Question Asked": EventType.WEBINAR_QUESTION,
    "Survey High Interest": EventType.SURVEY_HIGH_INTEREST,
    "Email Opened": EventType.EMAIL_OPEN,  # Segment's Email spec
    "Email Link Clicked": EventType.EMAIL_CLICK,  # Segment's Email spec
    "Meeting Booked": EventType.MEETING_BOOKED,
    "Demo Scheduled": EventType.MEETING_BOOKED,
    "Page Viewed": EventType.PAGE_VIEW,
}

# `page` calls: a path starting with one of these is a pricing page view, any other a page view.
PRICING_PATHS = ("/pricing", "/price", "/plans", "/ja/pricing")

# A lead first seen through `identify` without a `scenario` trait (and no ?scenario= on the
# destination URL) joins the long-term track: nothing specific was downloaded or attended,
# so a campaign-specific thank-you mail would be wrong.
DEFAULT_SCENARIO = LONG_TERM


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


_BY_KEY = {_key(name): event_type for name, event_type in TRACK_EVENTS.items()}
_NURTURE_TYPES = {t.value: t for t in EventType}


def track_event_type(event: str) -> EventType | None:
    """The nurture event type of a track call's `event` name; None when it does not count."""
    key = _key(event)
    return _BY_KEY.get(key) or _NURTURE_TYPES.get(key)


def page_event_type(path: str) -> EventType:
    """The nurture event type of a `page` call by its path."""
    lowered = path.casefold()
    if any(lowered == p or lowered.startswith(p + "/") for p in PRICING_PATHS):
        return EventType.PRICING_PAGE_VIEW
    return EventType.PAGE_VIEW
