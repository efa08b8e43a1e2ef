"""Signed one-click links for sales reps: one rep, one handoff, one action, expiring.

A link token is `nurture.tokens` bound to the purpose `rep-link`; it holds only opaque IDs
(handoff, rep), the action and its expiry, so no personal data rides in the URL. The page a
link opens carries a second, short-lived `rep-confirm` value bound to that link and to a
nonce kept in a cookie of the browser that opened it: only a POST from that very page acts,
so a scanner that fetches the link, or replays a form it saw elsewhere, changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from nurture import tokens

LINK = "rep-link"
CONFIRM = "rep-confirm"
CONFIRM_MINUTES = 30
VIEW = "view"  # the "Open lead" link: a page, no action
ACTIONS = ("ack", "reject", "opportunity", "won", "lost", VIEW)  # one link each


class LinkRefused(ValueError):
    """A link or its page's form that cannot be used; `kind` says why, for the page."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "invalid", "expired" or "stale_page"


@dataclass(frozen=True)
class LinkClaim:
    handoff_id: str
    rep_id: str
    action: str  # an Action value, or VIEW
    expires_at: int  # unix seconds


def make_link(secret: str, handoff_id: str, rep_id: str, action: str, expires: datetime) -> str:
    payload = {"h": handoff_id, "r": rep_id, "a": action, "e": int(expires.timestamp())}
    return tokens.make(secret, LINK, payload)


def action_links(
    secret: str, public_url: str, handoff_id: str, rep_id: str, expires: datetime
) -> dict[str, str]:
    """The rep's `/r/<token>` URL for each of `ACTIONS` on one handoff: the same links in
    the handoff mail and in the Slack message, so a rep meets one set of pages."""
    base = public_url.rstrip("/")
    return {
        action: f"{base}/r/{make_link(secret, handoff_id, rep_id, action, expires)}"
        for action in ACTIONS
    }


def read_link(secret: str, token: str, now: datetime) -> LinkClaim:
    """The claim of a link made by `make_link`; LinkRefused when tampered or expired."""
    try:
        payload = tokens.read(secret, LINK, token)
        h, r, a, e = payload["h"], payload["r"], payload["a"], payload["e"]
        claim = LinkClaim(str(h), str(r), str(a), int(e))
    except (tokens.BadToken, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    if now.timestamp() >= claim.expires_at:
        raise LinkRefused("expired")
    return claim


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cookie_name(token: str) -> str:
    """One nonce cookie per link, so two links open in two tabs do not spoil each other."""
    return f"nurture_link_{_digest(token)[:12]}"


def make_confirm(secret: str, token: str, nonce: str, now: datetime) -> str:
    expires = now + timedelta(minutes=CONFIRM_MINUTES)
    payload = {"l": _digest(token), "n": _digest(nonce), "e": int(expires.timestamp())}
    return tokens.make(secret, CONFIRM, payload)


def check_confirm(secret: str, token: str, confirm: str, nonce: str, now: datetime) -> None:
    """Raise LinkRefused('stale_page') unless `confirm` came from this link's page, in this
    browser (its nonce cookie), recently."""
    try:
        payload = tokens.read(secret, CONFIRM, confirm)
        bound = hmac.compare_digest(str(payload["l"]), _digest(token))
        same_browser = bool(nonce) and hmac.compare_digest(str(payload["n"]), _digest(nonce))
        fresh = now.timestamp() < int(payload["e"])
    except (tokens.BadToken, KeyError, TypeError, ValueError):
        raise LinkRefused("stale_page") from None
    if not (bound and same_browser and fresh):
        raise LinkRefused("stale_page")
