"""`POST /v1/integrations/segment`: Segment-spec calls from any CDP (api.segment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import SegmentBody
from api.deps import StateDep
from api.openapi_docs import json_body
from api.responses import errors
from api.schemas.segment import SEGMENT_BODY, SegmentResult
from api.segment import service
from nurture.orchestration.intake import SCENARIO_NAMES

router = APIRouter(prefix="/v1/integrations/segment", tags=["integrations"])


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
    taken = await service.take(state, body, scenario, source)
    if taken.rejected:
        response.status_code = 207
    return taken
