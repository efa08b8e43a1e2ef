"""HMAC-SHA256 webhook signatures: `X-Nurture-Signature: t=<unix>,v1=<hex of HMAC("t.body")>`."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Nurture-Signature"


class SignatureError(ValueError):
    """Why a signature was refused, in words a webhook sender can act on."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, t, body)}"


def verify(
    header: str | None, body: bytes, secret: str, tolerance: int, now: float | None = None
) -> None:
    """Raise SignatureError unless `header` signs `body` with `secret`, made recently enough."""
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed {HEADER} header: expected t=<unix>,v1=<hex>")
        parts.setdefault(key, []).append(value)
    raw_t = parts.get("t", [""])[0]
    if not (raw_t.isascii() and raw_t.isdigit() and len(raw_t) <= 12):
        raise SignatureError(f"{HEADER} header lacks a numeric t=<unix seconds>")
    timestamp = int(raw_t)
    candidates = parts.get("v1", [])
    if not candidates:
        raise SignatureError(f"{HEADER} header lacks v1=<hex HMAC-SHA256>")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"signature timestamp is {int(current - timestamp)} s away from now "
            f"(tolerance {tolerance} s): re-sign the request"
        )
    expected = _digest(secret, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, c.encode()) for c in candidates):
        raise SignatureError("signature does not match the body and the shared secret")
