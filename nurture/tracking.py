"""Instrumenting marketing mail: tracked links, an open pixel, a honeypot link, unsubscribe.

Every URL becomes `/t/c/<token>` whose signed payload names the lead, the message and
the real URL, so the redirect goes nowhere else and the click becomes a behaviour event.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from nurture import tokens

CLICK, OPEN, UNSUBSCRIBE = "click", "open", "unsubscribe"
_HREF = re.compile(r'href="(https?://[^"]+)"')
_URL = re.compile(r"https?://[^\s<>\"')]+")


@dataclass(frozen=True)
class Tracker:
    base_url: str
    secret: str
    lead_id: str
    message: str  # the message's tracking id

    def click_url(self, url: str, honeypot: bool = False) -> str:
        payload: dict[str, object] = {"l": self.lead_id, "m": self.message, "u": url}
        if honeypot:
            payload["h"] = 1
        return f"{self.base_url}/t/c/{tokens.make(self.secret, CLICK, payload)}"

    def open_url(self) -> str:
        token = tokens.make(self.secret, OPEN, {"l": self.lead_id, "m": self.message})
        return f"{self.base_url}/t/o/{token}"

    def unsubscribe_url(self) -> str:
        token = unsubscribe_token(self.secret, self.lead_id, self.message)
        return f"{self.base_url}/u/{token}"

    def _keep(self, url: str) -> bool:
        return url.startswith(f"{self.base_url}/u/") or url.startswith(f"{self.base_url}/t/")

    def html(self, body: str) -> str:
        """Links tracked, then a hidden honeypot link and the open pixel before </body>."""

        def swap(match: re.Match[str]) -> str:
            url = html.unescape(match.group(1))
            return (
                match.group(0) if self._keep(url) else f'href="{html.escape(self.click_url(url))}"'
            )

        tracked = _HREF.sub(swap, body)
        trap = html.escape(self.click_url(f"{self.base_url}/", honeypot=True))
        extras = (
            f'<a href="{trap}" style="display:none" aria-hidden="true" tabindex="-1"></a>'
            f'<img src="{html.escape(self.open_url())}" width="1" height="1" alt="" '
            'style="display:block;border:0">'
        )
        if "</body>" in tracked:
            return tracked.replace("</body>", extras + "</body>", 1)
        return tracked + extras

    def text(self, body: str) -> str:
        return _URL.sub(
            lambda m: m.group(0) if self._keep(m.group(0)) else self.click_url(m.group(0)), body
        )


def unsubscribe_token(secret: str, lead_id: str, message: str = "") -> str:
    """The lead, and the mail it came from (for the unsubscribe rate per step)."""
    return tokens.make(secret, UNSUBSCRIBE, {"l": lead_id, "m": message})
