"""The secrets of the /sales workspace: its one-time sign-in link, session cookie and forms.

- A sign-in link carries `nurture.tokens` bound to `sales-sign-in`: a random value and the
  link's expiry, no personal data. Only the value's hash is stored, beside the address the
  link was mailed to, so the link works once (nurture.repo.rep_sessions).
- The session cookie is another random value; only its hash is stored.
- Every form of a signed-in page carries a CSRF value derived from the session (an HMAC),
  so a page of another site cannot post as the rep.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from nurture import tokens

SIGN_IN = "sales-sign-in"
CSRF = "sales-csrf"


class SignInRefused(ValueError):
    """A sign-in link that cannot be used; `kind` says why, for the page."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "invalid", "expired" or "used"


def new_value() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """What the database keeps of a link's or a session's random value."""
    return hashlib.sha256(value.encode()).hexdigest()


def make_sign_in(secret: str, value: str, expires: datetime) -> str:
    return tokens.make(secret, SIGN_IN, {"v": value, "e": int(expires.timestamp())})


def read_sign_in(secret: str, token: str, now: datetime) -> str:
    """The random value of a link made by `make_sign_in`; SignInRefused when tampered or
    expired (the database says whether it was used)."""
    try:
        payload = tokens.read(secret, SIGN_IN, token)
        value, expires = str(payload["v"]), int(payload["e"])
    except (tokens.BadToken, KeyError, TypeError, ValueError):
        raise SignInRefused("invalid") from None
    if now.timestamp() >= expires:
        raise SignInRefused("expired")
    return value


def csrf_for(secret: str, session_value: str) -> str:
    mac = hmac.new(secret.encode(), f"{CSRF}:{digest(session_value)}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def csrf_ok(secret: str, session_value: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(csrf_for(secret, session_value), given)
