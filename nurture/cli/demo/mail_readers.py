"""People reading the demo's mail: each mail the dev SMTP sink kept for a demo lead may be
opened (the pixel loaded) and clicked (a visible tracked link followed), from a mail
client's User-Agent and no sooner than the gateway window, so the API counts people, not
gateways."""

from __future__ import annotations

import asyncio
import random
import time
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from nurture import traffic
from nurture.cli.demo.population import Reader
from nurture.cli.demo.session import POLL_SECONDS, DemoSession
from nurture.mailsink import parse

# Readers open mail hours later; the demo compresses that to just past the gateway window.
READ_AFTER = (traffic.SECONDS_AFTER_DELIVERY + 2.0, traffic.SECONDS_AFTER_DELIVERY + 5.0)


class _Links(HTMLParser):
    """The open pixel and the links a person can see (never the hidden honeypot)."""

    def __init__(self) -> None:
        super().__init__()
        self.pixels: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        hidden = "display:none" in a.get("style", "").replace(" ", "") or a.get("aria-hidden")
        if tag == "img" and "/t/o/" in a.get("src", ""):
            self.pixels.append(a["src"])
        elif tag == "a" and "/t/c/" in a.get("href", "") and not hidden:
            self.links.append(a["href"])


def _html(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    return str(part.get_content()) if part is not None else ""


class MailReaders:
    def __init__(self, demo: DemoSession, folder: Path | None) -> None:
        self.demo = demo
        self.folder = folder

    async def watch(self) -> None:
        """Watch the sink's folder; each new mail to a demo lead may be read later."""
        demo = self.demo
        seen: set[str] = set()
        while self.folder is not None:
            for path in sorted(self.folder.glob("*.eml")):
                received = path.stat().st_mtime
                if path.name in seen or time.time() - received < 0.3:  # may be half written
                    continue
                seen.add(path.name)
                if received < demo.started - 1:
                    continue
                msg = parse(path.read_bytes())
                reader = demo.readers.get(parseaddr(str(msg.get("To", "")))[1].lower())
                if reader is not None:
                    demo.summary.mails += 1
                    demo.news()
                    demo.spawn(self._read(reader, msg, received))
            await asyncio.sleep(POLL_SECONDS)

    async def _read(self, reader: Reader, msg: EmailMessage, received: float) -> None:
        # Seeded by address and subject, not the Message-ID: the same seed reads the same mail.
        demo = self.demo
        rnd = random.Random(f"{demo.seed}:{msg.get('To', '')}:{msg.get('Subject', '')}")
        if rnd.random() >= reader.open_rate:
            return
        await asyncio.sleep(max(0.0, received + rnd.uniform(*READ_AFTER) - time.time()))
        found = _Links()
        found.feed(_html(msg))
        if found.pixels and await self._visit(found.pixels[0], reader):
            demo.summary.opens += 1
        if found.links and rnd.random() < reader.click_rate:
            await asyncio.sleep(rnd.uniform(0.5, 1.5))  # reading before clicking
            if await self._visit(rnd.choice(found.links), reader):
                demo.summary.clicks += 1
        demo.news()

    async def _visit(self, link: str, reader: Reader) -> bool:
        url = f"{self.demo.api.base}{urlsplit(link).path}"
        kind = "open pixel" if "/t/o/" in url else "tracked link"
        try:  # never follow the click's redirect: it leads to the real site
            r = await self.demo.http.get(url, headers={"User-Agent": reader.agent})
        except httpx.HTTPError as err:
            self.demo.problem(kind, err)
            return False
        if r.status_code not in (httpx.codes.OK, httpx.codes.FOUND):
            self.demo.problem(kind, r)
            return False
        return True
