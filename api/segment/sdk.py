"""What the CDP SDKs post when nurture is their host: `/v1/batch`, and Segment's HTTP
tracking API calls `/v1/identify`, `/v1/track`, `/v1/page` (and the calls nurture ignores).

Their messages are taken as `/v1/integrations/segment` takes them (api.segment.service),
for the source the write key names. The SDKs read only the status: 200 is success, and
any other tells them to report the batch as failed (RudderStack's also retries it).
So a batch nurture took in part is a 200: an SDK cannot send one message again, and
would send the taken ones again. The rejected ones are in the answer and in the log
(by messageId, never their content); a request none of which was taken is a 422 the SDK
reports through its `on_error`.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import TypeAdapter

from api.auth import SdkSource
from api.deps import AppState
from api.errors import Invalid
from api.parsing import parse
from api.schemas.segment import SdkAnswer
from api.segment.service import take_payload

log = logging.getLogger("nurture.api.segment")
_json: TypeAdapter[Any] = TypeAdapter(Any)


async def take_from_sdk(state: AppState, source: SdkSource, call: str | None) -> SdkAnswer:
    """Every message's outcome, for a batch (`call` None) or one call of that type."""
    payload = parse(_json, source.body)
    if call is None:
        if not (isinstance(payload, dict) and isinstance(payload.get("batch"), list)):
            raise Invalid(
                'send {"batch": [messages]} to /v1/batch',
                [{"field": "batch", "problem": "must be a list of messages"}],
            )
    else:
        if not isinstance(payload, dict):
            raise Invalid(f"send one {call} message (a JSON object) to /v1/{call}")
        payload = {**payload, "type": call}  # the path says which call it is
    taken = await take_payload(state, payload, None, source.campaign)
    if taken.rejected:
        ids = [m.message_id or f"#{m.index}" for m in taken.messages if m.status == "rejected"]
        log.warning(
            "segment sdk: %d of %d message(s) rejected (taken: 200 to the SDK): %s",
            taken.rejected,
            len(taken.messages),
            ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else ""),
        )
    return SdkAnswer(**taken.model_dump())
