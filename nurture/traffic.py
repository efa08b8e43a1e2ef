"""Telling people from machines on tracking hits.

Security gateways and image proxies open and click mail within seconds of delivery,
scanners announce themselves in the user agent, and only a machine follows a link no
person can see. Such hits are kept for the record but never score.
"""

from __future__ import annotations

import re

SECONDS_AFTER_DELIVERY = 10
SCANNER_AGENTS = re.compile(
    r"barracuda|mimecast|proofpoint|urldefense|safelinks|symantec|messagelabs|forcepoint|"
    r"trend ?micro|fireeye|zscaler|sophos|cisco|ironport|bitdefender|spamtitan|"
    r"bot\b|crawler|spider|scanner|headless|python-requests|python-httpx|curl/|wget|"
    r"go-http-client|java/|okhttp|libwww|httpclient|preview",
    re.IGNORECASE,
)


def machine_reason(
    user_agent: str | None, seconds_since_delivery: float | None, honeypot: bool
) -> str | None:
    """Why this hit looks automated, or None when it looks like a person."""
    if honeypot:
        return "hidden honeypot link followed"
    if not user_agent or not user_agent.strip():
        return "no user agent"
    if SCANNER_AGENTS.search(user_agent):
        return "scanner user agent"
    if seconds_since_delivery is not None and seconds_since_delivery < SECONDS_AFTER_DELIVERY:
        return f"fetched {seconds_since_delivery:.0f} s after delivery"
    return None
