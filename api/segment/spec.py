"""What nurture reads from Segment-spec messages (https://segment.com/docs/connections/spec/):
the lead's fields from `identify` traits, the behaviour event of `track` and `page`.
"""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

from api.errors import Invalid, TooLarge
from api.schemas.events import MAX_EVENTS_PER_REQUEST
from api.schemas.segment import SegmentMessage
from nurture.mail import LANGUAGES
from nurture.models import EventType
from nurture.repo import segment as identities
from nurture.rules.touches import campaign_of
from scenarios import segment_events


def messages_of(payload: Any) -> tuple[list[Any], bool]:
    """The messages of a request body and whether it was a single message (not a batch)."""
    if isinstance(payload, dict) and isinstance(payload.get("batch"), list):
        shared = payload.get("context")
        items: list[Any] = payload["batch"]
        if isinstance(shared, dict):  # the batch's context applies to messages without one
            items = [{"context": shared, **m} if isinstance(m, dict) else m for m in items]
    elif isinstance(payload, list):  # Segment's Webhooks (Actions) with batching on
        items = payload
    elif isinstance(payload, dict) and "type" in payload:
        return [payload], True
    else:
        raise Invalid(
            'send one Segment message (an object with "type") or {"batch": [messages]}',
            [{"field": "body", "problem": "neither a message nor a batch"}],
        )
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise TooLarge(f"at most {MAX_EVENTS_PER_REQUEST} messages per request, got {len(items)}")
    return items, False


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _zone(value: Any) -> str | None:
    try:
        return str(zoneinfo.ZoneInfo(value)) if isinstance(value, str) and value else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def lead_fields(message: SegmentMessage) -> dict[str, Any]:
    """The lead's fields named by an identify's traits (Segment's reserved traits, B2B ones)."""
    traits = message.all_traits
    company = traits.get("company")
    org: dict[str, Any] = company if isinstance(company, dict) else {"name": company}
    full_name = traits.get("name") or " ".join(
        str(part).strip()
        for part in (
            traits.get("firstName") or traits.get("first_name"),
            traits.get("lastName") or traits.get("last_name"),
        )
        if part
    )
    fields: dict[str, Any] = {
        "email": traits.get("email"),
        "name": full_name,
        "company": org.get("name"),
        "job_title": traits.get("title") or traits.get("job_title") or traits.get("jobTitle"),
        "industry": traits.get("industry") or org.get("industry"),
        "company_size": traits.get("employees") or org.get("employee_count"),
        "source": traits.get("source"),
        "scenario": traits.get("scenario"),
        # an explicit trait must be valid; the browser's zone is taken only when it is
        "timezone": traits.get("timezone") or _zone(message.context.get("timezone")),
    }
    return {key: _text(value) for key, value in fields.items() if value not in (None, "")}


def profile_attributes(message: SegmentMessage) -> dict[str, Any]:
    """Attributes an identify adds to the lead: its CDP ids (as digests) and its language."""
    found: dict[str, Any] = {}
    if message.user_id:
        found[identities.USER_KEY] = identities.identity_digest(message.user_id)
    if message.anonymous_id:
        found[identities.ANONYMOUS_KEY] = identities.identity_digest(message.anonymous_id)
    language = message.all_traits.get("language") or message.context.get("locale")
    if isinstance(language, str) and language[:2].lower() in LANGUAGES:  # else the default
        found["language"] = language[:2].lower()
    return found


def lead_id_of(message: SegmentMessage) -> uuid.UUID | None:
    """Our lead id when the sender names it (a `lead_id` property or trait, or the userId)."""
    named = message.properties.get("lead_id") or message.all_traits.get("lead_id")
    if named is not None:
        try:
            return uuid.UUID(str(named))
        except ValueError:
            raise ValueError(f"lead_id {named!r} is not a lead id (UUID)") from None
    try:
        return uuid.UUID(message.user_id) if message.user_id else None
    except ValueError:  # the CDP's own user id: looked up as an identified userId instead
        return None


def event_type_of(message: SegmentMessage) -> tuple[EventType | None, str]:
    """The nurture event of a track or page call, or None and why it does not count."""
    if message.type == "page":
        page = message.context.get("page")
        path = message.properties.get("path") or (
            page.get("path") if isinstance(page, dict) else ""
        )
        return segment_events.page_event_type(str(path or "")), ""
    if not message.event:
        raise ValueError("a track call needs an event name")
    found = segment_events.track_event_type(message.event)
    why = f"event {message.event!r} is not in the mapping (scenarios/segment_events.py)"
    return found, "" if found else why


# Segment's `context.campaign` (the UTM parameters its libraries collect) as event properties.
UTM_TAGS = {
    "name": "utm_campaign",
    "source": "utm_source",
    "medium": "utm_medium",
    "term": "utm_term",
    "content": "utm_content",
}


def event_properties(message: SegmentMessage, event_type: EventType) -> dict[str, Any]:
    """A track or page call's properties; when they name no campaign, with the UTM tags of
    `context.campaign` (`utm_campaign` = its name), so the touch (nurture.rules.touches)
    is that campaign's."""
    properties = message.properties
    campaign = message.context.get("campaign")
    if not isinstance(campaign, dict) or campaign_of(event_type.value, properties) is not None:
        return properties
    tags = {
        tag: value.strip()
        for field, tag in UTM_TAGS.items()
        if isinstance(value := campaign.get(field), str) and value.strip()
    }
    if "utm_campaign" not in tags:
        return properties
    return {**tags, **properties}
