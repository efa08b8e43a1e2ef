"""One Segment-spec request: its messages judged one by one, dispatched, and counted.

A batch's identify calls are applied before its track and page calls, so a batch may
introduce a person and report what they did.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError

from api.deps import AppState
from api.errors import Invalid
from api.parsing import parse
from api.schemas.segment import MessageResult, SegmentMessage, SegmentResult
from api.segment.identify import identify
from api.segment.results import invalid, result
from api.segment.spec import messages_of
from api.segment.track import track
from api.services.leads import unknown_scenario

log = logging.getLogger("nurture.api.segment")
USED = ("identify", "track", "page")
_json: TypeAdapter[Any] = TypeAdapter(Any)
_message = TypeAdapter(SegmentMessage)


async def take(
    state: AppState, body: bytes, scenario: str | None, source: str | None
) -> SegmentResult:
    """Every message's outcome and the counts; 422 (Invalid) when none was taken.

    Args:
        body: the raw request body (its sender authenticated by api.auth.SegmentBody).
        scenario: `?scenario=`, for new leads without a `scenario` trait.
        source: `?source=`, the campaign key for leads without a `source` trait.
    """
    if scenario is not None and unknown_scenario(scenario) is not None:
        raise Invalid(f"unknown scenario {scenario!r} in ?scenario=")
    return await take_payload(state, parse(_json, body), scenario, source)


async def take_payload(
    state: AppState, payload: Any, scenario: str | None, source: str | None
) -> SegmentResult:
    """`take` of a body already parsed as JSON (the SDK paths shape theirs first)."""
    items, single = messages_of(payload)
    results: dict[int, MessageResult] = {}
    parsed: dict[int, SegmentMessage] = {}
    for i, item in enumerate(items):
        try:
            parsed[i] = _message.validate_python(item)
        except ValidationError as err:
            results[i] = invalid(i, item, err)
    for i, m in parsed.items():
        if m.type not in USED:
            why = f"{m.type} calls are not used by nurture (identify, track and page are)"
            results[i] = result(i, m, status="ignored", reason=why)
    wanted = {i: m for i, m in parsed.items() if i not in results}
    identities = {i: m for i, m in wanted.items() if m.type == "identify"}
    results |= await identify(state, identities, scenario, source)
    results |= await track(state, {i: m for i, m in wanted.items() if m.type != "identify"})
    ordered = [results[i] for i in range(len(items))]
    counts = {s: sum(r.status == s for r in ordered) for s in ("accepted", "ignored", "rejected")}
    if counts["ignored"]:  # reasons name event and call types, never people
        reasons = sorted({r.reason or "" for r in ordered if r.status == "ignored"})
        log.info("segment: %d message(s) ignored: %s", counts["ignored"], "; ".join(reasons))
    if ordered and counts["rejected"] == len(ordered):
        details = [r.model_dump(mode="json", exclude_none=True) for r in ordered]
        first = ordered[0].reason or "invalid message"
        raise Invalid(first if single else f"no message was taken: {first}", details)
    return SegmentResult(**counts, messages=ordered)
