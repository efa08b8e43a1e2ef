"""Who may call the Segment-spec endpoint: three ways a CDP can prove it holds the shared secret.

- `X-Nurture-Signature` (our own, timestamped: see nurture.signing), for senders we control;
- `X-Signature`, the hex HMAC-SHA1 of the body that Segment's Webhooks destinations send
  when given a shared secret;
- HTTP Basic auth with the webhook secret as password (any user name), which RudderStack's
  HTTP Webhook destination and any destination with custom headers can send.

All three use NURTURE_WEBHOOK_SECRET.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.deps import StateDep, read_body, verified_body
from api.errors import Unauthorized
from nurture import signing

SEGMENT_HEADER = "X-Signature"


class SegmentUnauthorized(Unauthorized):
    challenge = 'Basic realm="nurture segment", charset="UTF-8"'


def _basic_password(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SegmentUnauthorized("malformed HTTP Basic credentials") from None
    return decoded.partition(":")[2]


def _check_segment_signature(header: str, body: bytes, secret: str) -> None:
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode()):
        hint = ""
        if body.lstrip()[:1] == b"[":
            # Segment's Webhooks (Actions) sign only the first event of a batched request.
            hint = "; Segment signs only the first event of a batch: turn batching off or use Basic"
        raise SegmentUnauthorized(f"{SEGMENT_HEADER} does not match the body and the secret{hint}")


async def segment_body(request: Request, state: StateDep) -> bytes:
    """The raw body once the caller proved it holds the webhook secret, one of three ways."""
    if request.headers.get(signing.HEADER):
        try:
            return await verified_body(request, state)
        except Unauthorized as err:
            raise SegmentUnauthorized(err.message) from None
    secret = state.settings.webhook_secret.get_secret_value()
    password = _basic_password(request.headers.get("Authorization", ""))
    if password is not None:
        if not hmac.compare_digest(password.encode(), secret.encode()):
            raise SegmentUnauthorized("the HTTP Basic password is not the webhook secret")
        return await read_body(request)
    signature = request.headers.get(SEGMENT_HEADER)
    if signature:
        body = await read_body(request)
        _check_segment_signature(signature, body, secret)
        return body
    raise SegmentUnauthorized(
        f"authenticate with {signing.HEADER}, Segment's {SEGMENT_HEADER} (HMAC-SHA1 of the body) "
        "or HTTP Basic auth with the webhook secret as password"
    )


SegmentBody = Annotated[bytes, Depends(segment_body)]
