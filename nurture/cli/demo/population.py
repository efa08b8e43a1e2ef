"""Who the demo leads are and what they do: campaigns, time zones and languages, profiles,
the behaviour events each lead sends, and how keen a reader of marketing mail each is.
Pure and seeded: the same seed gives the same population."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# (key, name, channel, cost, scenario); the SEO blog's cost is staff time nobody recorded:
# unknown, so the dashboard shows no CPL or ROI for it rather than a free campaign's.
CAMPAIGNS: list[tuple[str, str, str, int | None, str]] = [
    ("wp-dx-guide", "DX guide whitepaper", "whitepaper", 450_000, "whitepaper"),
    ("webinar-nov", "November webinar", "webinar", 300_000, "webinar"),
    ("expo-tokyo", "Tokyo DX Expo booth", "expo", 1_800_000, "whitepaper"),
    ("search-ads", "Search ads", "ads", 600_000, "whitepaper"),
    ("seo-blog", "SEO blog", "seo", None, "whitepaper"),
]
# Each campaign's content: its asset (title, path) and named links (paths), on the site the
# demo stack's mails link to (the dev API's placeholder pages, NURTURE_SITE_URL's default).
ASSETS: dict[str, tuple[str, str, dict[str, str]]] = {
    "wp-dx-guide": ("The DX Guide 2026", "/resources/dx-guide", {}),
    "webinar-nov": (
        "DX Live: November",
        "/webinars/dx-live-november",
        {"recording": "/webinars/dx-live-november/recording", "slides": "/webinars/dx-live.pdf"},
    ),
    "expo-tokyo": ("Tokyo DX Expo: the booth talk", "/resources/expo-talk", {}),
    "search-ads": ("Cutting lead time: a checklist", "/resources/lead-time-checklist", {}),
    "seo-blog": ("The DX roadmap", "/blog/dx-roadmap", {}),
}
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


# Other campaigns that reach a lead after its first one, for multi-touch attribution to
# tell apart: (campaign, chance, event type, properties naming the campaign as the site's
# analytics, the webinar tool or a clicked link would).
JOURNEYS: list[tuple[str, float, str, dict[str, Any]]] = [
    ("search-ads", 0.3, "page_view", {"path": "/product", "utm_campaign": "search-ads"}),
    (
        "seo-blog",
        0.25,
        "page_view",
        {"url": "https://www.example.com/blog/dx-roadmap?utm_source=google&utm_campaign=seo-blog"},
    ),
    ("webinar-nov", 0.2, "webinar_registered", {"campaign": "webinar-nov"}),
    ("wp-dx-guide", 0.15, "whitepaper_download", {"campaign": {"key": "wp-dx-guide"}}),
]


PEOPLE_PER_COMPANY = 3  # so accounts, and their buying groups, show in the demo


@dataclass(frozen=True)
class Reader:
    """How a demo lead treats marketing mail."""

    open_rate: float
    click_rate: float  # of opened mail
    agent: str


def make_lead(rnd: random.Random, n: int) -> tuple[dict[str, Any], list[dict[str, Any]], Reader]:
    """A lead's intake body, its behaviour events and its reading habits."""
    key, _, _, _, scenario = rnd.choice(CAMPAIGNS)
    zone, _, language = rnd.choices(ZONES, weights=[w for _, w, _ in ZONES])[0]
    company = n // PEOPLE_PER_COMPANY
    body = {
        # A company's registrable domain is its account: .example is a top-level domain of
        # its own (each company one account), where every *.example.com is example.com's.
        "email": f"demo{n:05d}@demo-corp{company}.example",
        "name": f"Demo Lead {n}",
        "company": f"Demo Corp {company}",
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
    events += [
        {
            "event_id": f"demo-{n}-{len(events) + i}",
            "email": body["email"],
            "type": t,
            "properties": p,
        }
        for i, (t, p) in enumerate(journey(rnd, key))
    ]
    return body, events, reader


def journey(rnd: random.Random, source: str) -> list[tuple[str, dict[str, Any]]]:
    """The other campaigns that reach the lead after `source`, in order (drawn after the
    rest of the lead, so a seed's profiles and readers stay what they were)."""
    steps = [
        (kind, props)
        for key, chance, kind, props in JOURNEYS
        if key != source and rnd.random() < chance
    ]
    rnd.shuffle(steps)
    if steps and rnd.random() < 0.3:  # back to the first campaign: its last touch too
        steps.append(("page_view", {"path": "/pricing-overview", "utm_campaign": source}))
    return steps
