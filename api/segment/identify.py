"""`identify` calls: each creates or updates its lead by email and tells its workflow.

A message without an email trait names a lead identified before (by userId or
anonymousId). Messages about one person are applied in order; different people at once.
"""

from __future__ import annotations

import asyncio

from pydantic import ValidationError

from api.deps import AppState
from api.schemas.segment import MessageResult, SegmentMessage
from api.segment.leads import LeadKeys, apply_identity, find_leads, keys_of
from api.segment.results import rejected, result
from api.segment.spec import lead_fields, profile_attributes
from api.services.leads import unknown_scenario
from nurture.orchestration.intake import LeadIn
from nurture.validation import describe_validation
from scenarios.segment_events import DEFAULT_SCENARIO


async def identify(
    state: AppState, messages: dict[int, SegmentMessage], scenario: str | None, source: str | None
) -> dict[int, MessageResult]:
    """The outcome of each identify (by its index in the request).

    Args:
        scenario: for new leads without a `scenario` trait (else the long-term track).
        source: campaign key for new leads without a `source` trait (a lead known before
            keeps the campaign it came from).
    """
    out: dict[int, MessageResult] = {}
    keys: dict[int, LeadKeys] = {}
    for i, m in messages.items():
        try:
            if "email" not in lead_fields(m):
                keys[i] = keys_of(m)
        except ValueError as err:
            out[i] = rejected(i, m, str(err))
    found = await state.db.run(find_leads, list(keys.values())) if keys else []
    known = dict(zip(keys, found, strict=True))
    todo: dict[int, tuple[LeadIn, bool, bool]] = {}
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
        defaulted = bool(source) and "source" not in fields
        if source:
            fields.setdefault("source", source)
        try:
            data = LeadIn.model_validate(fields)
        except ValidationError as err:
            out[i] = rejected(i, m, describe_validation(list(err.errors()))[0])
            continue
        wrong = unknown_scenario(data.scenario)
        if wrong is not None:
            out[i] = rejected(i, m, wrong)
            continue
        todo[i] = (data, asked, defaulted)

    by_email: dict[str, list[int]] = {}
    for i, (data, _, _) in todo.items():
        by_email.setdefault(str(data.email).lower(), []).append(i)

    async def one_person(indices: list[int]) -> None:  # in order, for the same email
        for i in indices:
            data, asked, defaulted = todo[i]
            attributes = profile_attributes(messages[i])
            done = await apply_identity(state, data, attributes, asked, source_defaulted=defaulted)
            out[i] = result(
                i, messages[i], status="accepted", lead_id=done.lead.id, created=done.created
            )

    await asyncio.gather(*(one_person(indices) for indices in by_email.values()))
    return out
