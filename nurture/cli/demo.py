"""`nurture demo`: realistic leads driven through the running stack, for a dashboard that
shows something on day one. Everything goes through the public API, as production traffic
would: intake, signed behaviour webhooks, people reading their mail, and sales at work.

People read the mail the dev SMTP sink kept (`.eml` files): they load the open pixel and
follow a visible tracked link, from a mail client's User-Agent, no sooner than the gateway
window after delivery (`nurture.traffic`), so the API counts them as people. The tracked
path is requested on `--api`: `NURTURE_PUBLIC_URL` may name a proxy in front of the API.
Sales work each handoff of a demo lead as soon as it appears (polled on GET /v1/handoffs),
with the admin token; every action's status is checked and failures are reported.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.progress import Progress

from nurture import signing, traffic
from nurture.mailsink import parse
from scenarios.email_policy import SEND_WINDOW

CAMPAIGNS = [
    ("wp-dx-guide", "DX guide whitepaper", "whitepaper", 450_000, "whitepaper"),
    ("webinar-nov", "November webinar", "webinar", 300_000, "webinar"),
    ("expo-tokyo", "Tokyo DX Expo booth", "expo", 1_800_000, "whitepaper"),
    ("search-ads", "Search ads", "ads", 600_000, "whitepaper"),
    ("seo-blog", "SEO blog", "seo", 150_000, "whitepaper"),
]
# (IANA zone, share in %, language): wide enough that on any weekday, whatever the hour,
# some leads are inside their 9:00-18:00 send window and their mail goes out at once.
ZONES = [
    ("Asia/Tokyo", 40, "ja"),
    ("Asia/Singapore", 6, "en"),
    ("Asia/Kolkata", 6, "en"),
    ("Australia/Sydney", 6, "en"),
    ("Europe/London", 12, "en"),
    ("Europe/Berlin", 10, "en"),
    ("America/New_York", 12, "en"),
    ("America/Los_Angeles", 8, "en"),
]
TITLES = ["CEO", "CTO", "部長", "Head of IT", "Engineer", "Manager", "Analyst", "Director"]
INDUSTRIES = ["Manufacturing", "SaaS", "Retail", "Finance", "製造業", "Logistics"]
PAGES = ["/", "/product", "/blog/dx-roadmap", "/integrations", "/security"]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
# What sales does with the n-th handoff, cycling: 4 won, 3 lost, 3 open opportunities,
# 5 accepted and in progress, 4 rejected, 1 left waiting (its SLA clock runs) in every 20.
PLAN = [
    "won",
    "reject",
    "ack",
    "opportunity",
    "lost",
    "ack",
    "won",
    "reject",
    "ack",
    "lost",
    "opportunity",
    "won",
    "reject",
    "ack",
    "lost",
    "won",
    "opportunity",
    "reject",
    "ack",
    "pending",
]
REJECT = ["no_budget", "bad_timing", "not_a_fit", "no_authority", "no_need"]
LOST = ["price", "competitor", "no_decision", "timing"]
AMOUNTS = [800_000, 1_200_000, 2_500_000, 4_000_000, 6_000_000]
# Readers open mail hours later; the demo compresses that to just past the gateway window.
READ_AFTER = (traffic.SECONDS_AFTER_DELIVERY + 2.0, traffic.SECONDS_AFTER_DELIVERY + 5.0)
QUIET_SECONDS = 2.0  # nothing new for this long (and no lead between MQL and handoff): done
NO_WORKER_AFTER = 16  # this many leads answered 202 (no worker) and none answered 201
POLL_SECONDS = 0.5
ACTION_TRIES = 5  # a sales action answered 503 is repeated: the API makes that safe


class DemoError(Exception):
    """The stack did not behave; the message says what happened."""


@dataclass(frozen=True)
class Api:
    base: str
    admin: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}


@dataclass(frozen=True)
class Reader:
    """How a demo lead treats marketing mail."""

    open_rate: float
    click_rate: float  # of opened mail
    agent: str


@dataclass
class Summary:
    leads: int = 0
    campaigns: int = 0
    pending_intake: int = 0  # stored, but no worker answered in time
    intake_seconds: float = 0.0
    in_hours: int = 0  # leads inside their send window (working hours) at intake
    mails: int = 0
    opens: int = 0
    clicks: int = 0
    handoffs: Counter[str] = field(default_factory=Counter)
    revenue: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def worked(self) -> int:
        return sum(n for outcome, n in self.handoffs.items() if outcome != "pending")


def _lead(rnd: random.Random, n: int) -> tuple[dict[str, Any], list[dict[str, Any]], Reader]:
    """A lead's intake body, its behaviour events and its reading habits."""
    key, _, _, _, scenario = rnd.choice(CAMPAIGNS)
    zone, _, language = rnd.choices(ZONES, weights=[w for _, w, _ in ZONES])[0]
    body = {
        "email": f"demo{n:05d}@demo-customer{n % 97}.example.com",
        "name": f"Demo Lead {n}",
        "company": f"Demo Corp {n % 97}",
        "job_title": rnd.choice(TITLES),
        "industry": rnd.choice(INDUSTRIES),
        "company_size": rnd.choice([20, 80, 150, 400, 900, 3000]),
        "source": key,
        "scenario": scenario,
        "timezone": zone,
        "attributes": {"language": language if rnd.random() < 0.9 else "en"},
    }
    kinds: list[tuple[str, dict[str, Any]]] = []
    if scenario == "webinar":
        kinds.append(("webinar_registered", {"webinar": key}))
        if rnd.random() < 0.55:  # attendance rate
            kinds.append(("webinar_attended", {"webinar": key}))
            if rnd.random() < 0.3:
                kinds.append(("webinar_question", {"question": "How long does a rollout take?"}))
            if rnd.random() < 0.25:
                kinds.append(("survey_high_interest", {"webinar": key}))
    else:
        kinds.append(("whitepaper_download", {"title": "DX guide"}))
    kinds += [("page_view", {"path": rnd.choice(PAGES)}) for _ in range(rnd.randint(0, 3))]
    if rnd.random() < 0.3:
        kinds.append(("pricing_page_view", {"path": "/pricing"}))
    if rnd.random() < 0.25:
        kinds.append(("case_study_download", {"title": "Factory rollout"}))
    if rnd.random() < 0.03:
        kinds.append(("page_view", {"path": "/careers"}))
    events = [
        {"event_id": f"demo-{n}-{i}", "email": body["email"], "type": kind, "properties": props}
        for i, (kind, props) in enumerate(kinds)
    ]
    keen = min(len(kinds), 5) / 5
    reader = Reader(0.25 + 0.25 * keen, 0.1 + 0.2 * keen, rnd.choice(AGENTS))
    return body, events, reader


def _steps(plan: str, amount: int, rnd: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """The sales actions, in order, that carry a handoff to the planned outcome."""
    ack: tuple[str, dict[str, Any]] = ("ack", {})
    opportunity: tuple[str, dict[str, Any]] = ("opportunity", {"amount": amount})
    if plan == "reject":
        return [("reject", {"reason": rnd.choice(REJECT)})]
    if plan == "lost":  # some deals are lost before they become an opportunity
        before = [ack, opportunity][: rnd.choice([1, 2, 2])]
        return [*before, ("lost", {"reason": rnd.choice(LOST)})]
    plans = {"pending": [], "ack": [ack], "opportunity": [ack, opportunity]}
    return plans.get(plan, [ack, opportunity, ("won", {"amount": amount})])


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


class Demo:
    def __init__(self, http: httpx.AsyncClient, api: Api, seed: int, mail_folder: Path | None):
        self.http, self.api, self.seed, self.folder = http, api, seed, mail_folder
        self.summary = Summary(campaigns=len(CAMPAIGNS))
        self.readers: dict[str, Reader] = {}  # by email
        self.lead_ids: set[str] = set()
        self.tasks: list[asyncio.Task[None]] = []
        self.pollers: list[asyncio.Task[None]] = []
        self.started = time.time()
        self.last_news = time.monotonic()
        self.sales_gate = asyncio.Semaphore(8)

    def _news(self) -> None:
        self.last_news = time.monotonic()

    def _problem(self, what: str, r: httpx.Response | Exception) -> None:
        detail = f"{r.status_code} {r.text[:200]}" if isinstance(r, httpx.Response) else repr(r)
        self.summary.problems.append(f"{what}: {detail}")

    async def campaigns(self) -> None:
        for key, name, channel, cost, _ in CAMPAIGNS:
            body = {"name": name, "channel": channel, "cost": str(cost)}
            r = await self.http.put(
                f"{self.api.base}/v1/campaigns/{key}", headers=self.api.headers, json=body
            )
            r.raise_for_status()

    async def intake(self, n: int) -> None:
        body, events, reader = _lead(random.Random(self.seed * 100_003 + n), n)
        self.readers[body["email"]] = reader
        r = await self.http.post(f"{self.api.base}/v1/leads", json=body, headers=self.api.headers)
        r.raise_for_status()
        self.lead_ids.add(str(r.json()["id"]))
        self.summary.leads += 1
        now = datetime.now(UTC)
        self.summary.in_hours += SEND_WINDOW.next_slot(now, body["timezone"]) == now
        if r.status_code == httpx.codes.ACCEPTED:
            self.summary.pending_intake += 1
            pending = self.summary.pending_intake
            if pending >= NO_WORKER_AFTER and pending == len(self.lead_ids):
                raise DemoError(
                    f"no worker answered for the first {self.summary.pending_intake} leads "
                    "(202 pending): is `nurture worker` running on the API's task queue?"
                )
        data = json.dumps(events).encode()
        headers = {signing.HEADER: signing.sign(data, self.api.secret)}
        r = await self.http.post(
            f"{self.api.base}/v1/events",
            content=data,
            headers=headers | {"Content-Type": "application/json"},
        )
        r.raise_for_status()
        self._news()

    async def read_mail(self) -> None:
        """Watch the sink's folder; each new mail to a demo lead may be read later."""
        seen: set[str] = set()
        while self.folder is not None:
            for path in sorted(self.folder.glob("*.eml")):
                received = path.stat().st_mtime
                if path.name in seen or time.time() - received < 0.3:  # may be half written
                    continue
                seen.add(path.name)
                if received < self.started - 1:
                    continue
                msg = parse(path.read_bytes())
                reader = self.readers.get(parseaddr(str(msg.get("To", "")))[1].lower())
                if reader is not None:
                    self.summary.mails += 1
                    self._news()
                    self.tasks.append(asyncio.create_task(self._read(reader, msg, received)))
            await asyncio.sleep(POLL_SECONDS)

    async def _read(self, reader: Reader, msg: EmailMessage, received: float) -> None:
        # Seeded by address and subject, not the Message-ID: the same seed reads the same mail.
        rnd = random.Random(f"{self.seed}:{msg.get('To', '')}:{msg.get('Subject', '')}")
        if rnd.random() >= reader.open_rate:
            return
        await asyncio.sleep(max(0.0, received + rnd.uniform(*READ_AFTER) - time.time()))
        found = _Links()
        found.feed(_html(msg))
        if found.pixels and await self._visit(found.pixels[0], reader):
            self.summary.opens += 1
        if found.links and rnd.random() < reader.click_rate:
            await asyncio.sleep(rnd.uniform(0.5, 1.5))  # reading before clicking
            if await self._visit(rnd.choice(found.links), reader):
                self.summary.clicks += 1
        self._news()

    async def _visit(self, link: str, reader: Reader) -> bool:
        url = f"{self.api.base}{urlsplit(link).path}"
        kind = "open pixel" if "/t/o/" in url else "tracked link"
        try:  # never follow the click's redirect: it leads to the real site
            r = await self.http.get(url, headers={"User-Agent": reader.agent})
        except httpx.HTTPError as err:
            self._problem(kind, err)
            return False
        if r.status_code not in (httpx.codes.OK, httpx.codes.FOUND):
            self._problem(kind, r)
            return False
        return True

    async def sales(self) -> None:
        """Poll the handoffs; work each new one of a demo lead by the plan."""
        seen: set[str] = set()
        while True:
            r = await self.http.get(
                f"{self.api.base}/v1/handoffs", params={"open": "true"}, headers=self.api.headers
            )
            r.raise_for_status()
            for handoff in reversed(r.json()["items"]):  # oldest first
                fresh = handoff["id"] not in seen and str(handoff["lead_id"]) in self.lead_ids
                if fresh and handoff["status"] == "pending":
                    seen.add(handoff["id"])
                    self._news()
                    work = self._work(handoff["id"], len(seen) - 1)
                    self.tasks.append(asyncio.create_task(work))
            await asyncio.sleep(POLL_SECONDS)

    async def _work(self, handoff_id: str, nth: int) -> None:
        plan, rnd = PLAN[nth % len(PLAN)], random.Random(f"{self.seed}:handoff:{nth}")
        amount = rnd.choice(AMOUNTS)
        async with self.sales_gate:
            for action, body in _steps(plan, amount, rnd):
                url = f"{self.api.base}/v1/handoffs/{handoff_id}/{action}"
                try:
                    r = await self._act(url, body)
                except httpx.HTTPError as err:
                    self._problem(f"POST {url}", err)
                    return
                if r.status_code != httpx.codes.OK:
                    self._problem(f"POST {url}", r)
                    return
        self.summary.handoffs[plan] += 1
        self.summary.revenue += amount if plan == "won" else 0
        self._news()

    async def _act(self, url: str, body: dict[str, object]) -> httpx.Response:
        """A sales action, repeated on 503 as the API says is safe: one action however many
        tries (a repeat answers what the first recorded)."""
        for attempt in range(1, ACTION_TRIES):
            r = await self.http.post(url, json=body, headers=self.api.headers)
            if r.status_code != httpx.codes.SERVICE_UNAVAILABLE:
                return r
            await asyncio.sleep(float(r.headers.get("Retry-After", attempt)))
        return await self.http.post(url, json=body, headers=self.api.headers)

    async def between_mql_and_handoff(self) -> int:
        """Demo leads that crossed the threshold and have no handoff yet."""
        r = await self.http.get(
            f"{self.api.base}/v1/leads",
            params={"stage": "mql", "limit": 500},
            headers=self.api.headers,
        )
        r.raise_for_status()
        return sum(str(lead["id"]) in self.lead_ids for lead in r.json()["items"])

    async def settle(self, timeout: float) -> None:
        """Until nothing moves: mail read, handoffs worked, no lead waiting for its handoff."""
        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(POLL_SECONDS)
            for task in self.pollers + self.tasks:
                if task.done():
                    task.result()  # raises what stopped a poller (the API) or a bug
            busy = any(not t.done() for t in self.tasks)
            quiet = time.monotonic() - self.last_news >= QUIET_SECONDS
            waiting = await self.between_mql_and_handoff()
            if not busy and not waiting and quiet:
                return
            if time.monotonic() > deadline:
                if waiting:
                    self.summary.problems.append(
                        f"{waiting} leads reached MQL but got no handoff within {timeout:.0f} s"
                    )
                if busy:
                    self.summary.problems.append(
                        f"mail reads or sales actions still running after {timeout:.0f} s"
                    )
                return


async def run(
    api: Api,
    leads: int,
    seed: int,
    mail_folder: Path | None = None,
    timeout: float = 120.0,
    concurrency: int = 16,
) -> Summary:
    """Drive `leads` demo leads through the stack at `api` and wait until things settle."""
    async with httpx.AsyncClient(timeout=60) as http:
        demo = Demo(http, api, seed, mail_folder)
        await demo.campaigns()
        gate = asyncio.Semaphore(concurrency)
        with Progress() as progress:
            intake = progress.add_task("leads", total=leads)
            demo.pollers = [
                asyncio.create_task(demo.sales()),
                asyncio.create_task(demo.read_mail()),
            ]

            async def one(n: int) -> None:
                async with gate:
                    await demo.intake(n)
                progress.advance(intake)

            try:
                await asyncio.gather(*(one(n) for n in range(leads)))
                demo.summary.intake_seconds = time.time() - demo.started
                settle = progress.add_task("mail read, sales at work", total=None)
                await demo.settle(timeout)
                progress.update(settle, total=1, completed=1)
            finally:
                for task in demo.pollers + demo.tasks:
                    task.cancel()
    demo.summary.seconds = time.time() - demo.started
    return demo.summary


def report(summary: Summary, api_base: str, mail_folder: Path) -> list[str]:
    """The summary as the lines `nurture demo` prints."""
    s, h = summary, summary.handoffs
    acked = h["ack"] + h["opportunity"] + h["won"] + h["lost"]
    lines = [
        f"demo: {s.leads} leads in {s.campaigns} campaigns in {s.seconds:.0f} s "
        f"(intake {s.intake_seconds:.0f} s, {s.pending_intake} before a worker answered)",
        f"  email: {s.mails} mails delivered to demo leads ({s.in_hours} leads were in their "
        f"working hours), {s.opens} opened, {s.clicks} clicked (by people, not gateways)",
        f"  sales: {sum(h.values())} handoffs, {s.worked} worked: {acked} acknowledged "
        f"({h['ack']} in progress, {h['opportunity']} opportunities open, {h['won']} won "
        f"for {s.revenue:,}, {h['lost']} lost), {h['reject']} rejected, "
        f"{h['pending']} left pending",
    ]
    if not mail_folder.is_dir():
        lines.append(
            f"  note: no mail folder at {mail_folder}: nobody read mail. The dev sink keeps "
            "mail in .nurture/mail under the folder `nurture dev` runs in (--mail-folder)."
        )
    elif not s.mails:
        lines.append(
            "  note: no demo mail arrived yet: marketing mail waits for each lead's working "
            "hours (9:00-18:00 weekdays, their time zone), so read it with a later run."
        )
    lines.append(f"open {api_base}/dashboard")
    return lines
