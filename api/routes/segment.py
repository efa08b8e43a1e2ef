"""The Segment-spec endpoint: identify, track and page calls from any CDP, one or a batch.

`identify` creates or updates the lead; `track` and `page` become behaviour events on the
same durable path as /v1/events, with the messageId as event_id (a retried message counts
once). A CDP sends everything: calls nurture does not use are accepted and reported as
ignored; a message that is wrong is rejected on its own without failing the others.
A batch's identify calls are applied before its track and page calls, so a batch may
introduce a person and report what they did.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from api import event_delivery
from api.deps import StateDep
from api.errors import Invalid
from api.openapi_docs import json_body
from api.parsing import parse
from api.responses import errors
from api.schemas import EventIn
from api.segment_auth import SegmentBody
from api.segment_leads import LeadKeys, apply_identity, find_leads, keys_of
from api.segment_results import MessageResult, SegmentResult, invalid, rejected, result
from api.segment_spec import (
    SEGMENT_BODY,
    SegmentMessage,
    event_type_of,
    lead_fields,
    messages_of,
    profile_attributes,
)
from nurture.models import BehaviourEvent, EventType
from nurture.orchestration.intake import SCENARIO_NAMES, LeadIn
from nurture.tables import Lead
from nurture.validation import describe_validation
from scenarios import SCENARIOS
from scenarios.segment_events import DEFAULT_SCENARIO

PARKED = "parked: the lead is halted (its workflow was stopped or closed by ops)"
router = APIRouter(prefix="/v1/integrations/segment", tags=["integrations"])
log = logging.getLogger("nurture.api.segment")
_json: TypeAdapter[Any] = TypeAdapter(Any)
_message = TypeAdapter(SegmentMessage)


async def _identify(
    state: StateDep, messages: dict[int, SegmentMessage], scenario: str | None, source: str | None
) -> dict[int, MessageResult]:
    out: dict[int, MessageResult] = {}
    keys: dict[int, LeadKeys] = {}
    for i, m in messages.items():
        try:
            if "email" not in lead_fields(m):
                keys[i] = keys_of(m)
        except ValueError as err:
            out[i] = rejected(i, m, str(err))
    found = await run_in_threadpool(find_leads, state.engine, list(keys.values())) if keys else []
    known = dict(zip(keys, found, strict=True))
    todo: dict[int, tuple[LeadIn, bool]] = {}
    for i, m in messages.items():
        if i in out:
            continue
        fields = lead_fields(m)
        asked = "scenario" in fields  # a destination's ?scenario= only places new leads
        if "email" not in fields:
            lead = known.get(i)
            if lead is None:
                why = "no email trait and no lead identified by this userId or anonymousId"
                out[i] = result(i, m, status="ignored", reason=why)
                continue
            fields["email"] = lead.email
        fields.setdefault("scenario", scenario or DEFAULT_SCENARIO)
        if source:
            fields.setdefault("source", source)
        try:
            data = LeadIn.model_validate(fields)
        except ValidationError as err:
            out[i] = rejected(i, m, describe_validation(list(err.errors()))[0])
            continue
        if data.scenario not in SCENARIOS:
            known_names = ", ".join(sorted(SCENARIOS))
            out[i] = rejected(i, m, f"unknown scenario {data.scenario!r}; known: {known_names}")
            continue
        todo[i] = (data, asked)

    by_email: dict[str, list[int]] = {}
    for i, (data, _) in todo.items():
        by_email.setdefault(str(data.email).lower(), []).append(i)

    async def one_person(indices: list[int]) -> None:  # in order, for the same email
        for i in indices:
            data, asked = todo[i]
            done = await apply_identity(state, data, profile_attributes(messages[i]), asked)
            out[i] = result(
                i, messages[i], status="accepted", lead_id=done.lead.id, created=done.created
            )

    await asyncio.gather(*(one_person(indices) for indices in by_email.values()))
    return out


async def _events(state: StateDep, messages: dict[int, SegmentMessage]) -> dict[int, MessageResult]:
    out: dict[int, MessageResult] = {}
    wanted: dict[int, tuple[EventType, LeadKeys]] = {}
    for i, m in messages.items():
        if not m.message_id:
            out[i] = rejected(i, m, "messageId is required: it de-duplicates retried messages")
            continue
        try:
            event_type, why = event_type_of(m)
            named = keys_of(m)
        except ValueError as err:
            out[i] = rejected(i, m, str(err))
            continue
        if event_type is None:
            out[i] = result(i, m, status="ignored", reason=why)
            continue
        wanted[i] = (event_type, named)
    keys = [k for _, k in wanted.values()]
    leads = await run_in_threadpool(find_leads, state.engine, keys) if keys else []
    now = datetime.now(UTC)
    deliveries: list[tuple[Lead, BehaviourEvent]] = []
    index_of: dict[str, int] = {}
    for (i, (event_type, _)), lead in zip(wanted.items(), leads, strict=True):
        m = messages[i]
        if lead is None:
            why = "no lead known by this email, lead_id, userId or anonymousId: identify it first"
            out[i] = result(i, m, status="ignored", event_type=event_type.value, reason=why)
            continue
        try:
            event = EventIn(
                event_id=m.message_id or "",
                lead_id=lead.id,
                type=event_type,
                occurred_at=m.occurred_at,
                properties=m.properties,
            )
        except ValidationError as err:
            out[i] = rejected(i, m, describe_validation(list(err.errors()))[0])
            continue
        behaviour = BehaviourEvent(
            event_id=event.event_id,
            type=event.type.value,
            occurred_at=event.occurred_at or now,
            properties=event.properties,
        )
        deliveries.append((lead, behaviour))
        index_of[behaviour.event_id] = i
        out[i] = result(i, m, status="accepted", lead_id=lead.id, event_type=event_type.value)
    for event_id in await event_delivery.deliver(state, deliveries):
        out[
            index_of[event_id]
        ].reason = "parked: the lead is halted (its workflow was stopped or closed by ops)"
    return out


@router.post(
    "",
    response_model=SegmentResult,
    status_code=202,
    responses={
        207: {"description": "some messages were rejected (see each), the rest taken"},
        **errors(400, 401, 413, e422="no message was taken: each one's reason is in `details`"),
    },
    openapi_extra=json_body(SEGMENT_BODY, description="one message, a batch, or a list"),
)
async def post_segment(
    body: SegmentBody,
    state: StateDep,
    response: Response,
    scenario: Annotated[
        str | None,
        Query(
            description="scenario for new leads without a `scenario` trait",
            json_schema_extra={"enum": SCENARIO_NAMES},
        ),
    ] = None,
    source: Annotated[
        str | None, Query(description="campaign key for leads without a `source` trait")
    ] = None,
) -> SegmentResult:
    """Take Segment-spec `identify`, `track` and `page` calls, one or `{"batch": [...]}`.

    Authenticate with `X-Nurture-Signature`, Segment's `X-Signature` or HTTP Basic auth
    (the webhook secret as password). 202 when every message was taken or ignored, 207
    when some were rejected, 422 when all were.
    """
    if scenario is not None and scenario not in SCENARIOS:
        raise Invalid(f"unknown scenario {scenario!r} in ?scenario=")
    items, single = messages_of(parse(_json, body))
    results: dict[int, MessageResult] = {}
    parsed: dict[int, SegmentMessage] = {}
    for i, item in enumerate(items):
        try:
            parsed[i] = _message.validate_python(item)
        except ValidationError as err:
            results[i] = invalid(i, item, err)
    for i, m in parsed.items():
        if m.type not in ("identify", "track", "page"):
            why = f"{m.type} calls are not used by nurture (identify, track and page are)"
            results[i] = result(i, m, status="ignored", reason=why)
    wanted = {i: m for i, m in parsed.items() if i not in results}
    results |= await _identify(
        state, {i: m for i, m in wanted.items() if m.type == "identify"}, scenario, source
    )
    results |= await _events(state, {i: m for i, m in wanted.items() if m.type != "identify"})
    ordered = [results[i] for i in range(len(items))]
    counts = {s: sum(r.status == s for r in ordered) for s in ("accepted", "ignored", "rejected")}
    if counts["ignored"]:  # reasons name event and call types, never people
        reasons = sorted({r.reason or "" for r in ordered if r.status == "ignored"})
        log.info("segment: %d message(s) ignored: %s", counts["ignored"], "; ".join(reasons))
    if ordered and counts["rejected"] == len(ordered):
        details = [r.model_dump(mode="json", exclude_none=True) for r in ordered]
        first = ordered[0].reason or "invalid message"
        raise Invalid(first if single else f"no message was taken: {first}", details)
    if counts["rejected"]:
        response.status_code = 207
    return SegmentResult(**counts, messages=ordered)
