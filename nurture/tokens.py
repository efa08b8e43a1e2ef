"""Signed, URL-safe tokens for tracking and unsubscribe links.

`<base64url(json)>.<base64url(hmac-sha256)[:22]>`, the MAC keyed by NURTURE_SECRET_KEY
and bound to the token's purpose, so a click token cannot serve as an unsubscribe one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class BadToken(ValueError):
    """Tampered, truncated or for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return _b64(digest[:16])


def make(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def read(secret: str, purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token made by `make` with this secret and purpose, else BadToken."""
    body, sep, mac = token.partition(".")
    if not sep or not body or len(token) > 4096:
        raise BadToken("malformed token")
    if not hmac.compare_digest(mac.encode(), _mac(secret, purpose, body).encode()):
        raise BadToken("bad signature")
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        raise BadToken("malformed payload") from None
    if not isinstance(payload, dict):
        raise BadToken("malformed payload")
    return payload
