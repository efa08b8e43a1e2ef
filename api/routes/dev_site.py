"""Placeholder pages of the company's website, served by a dev API only.

In dev, NURTURE_SITE_URL defaults to `<public_url>/site`, so a newcomer who clicks "Book a
demo" in a mail from `make run` lands on a page that says where the real site's page would
be and which UTM tags the click carried, not on a JSON 404. Outside dev these are 404s:
content links go to the real site.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import StateDep
from api.errors import NotFound
from nurture.rules.content_links import UTM_KEYS
from nurture.settings import DEV_SITE_PATH

router = APIRouter(include_in_schema=False)
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your website: {path}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>This is where your website's page <code>{path}</code> would be</h1>
<p>nurture is running in dev with no <code>NURTURE_SITE_URL</code>, so content links in mail
lead to these placeholder pages. Set <code>NURTURE_SITE_URL</code> to your company's website
(e.g. <code>https://www.example.com</code>) and they lead there.</p>
<h2>UTM tags this link carried</h2>
<table>{rows}</table>
</body></html>
"""


@router.get(DEV_SITE_PATH, response_class=HTMLResponse)
@router.get(f"{DEV_SITE_PATH}/{{path:path}}", response_class=HTMLResponse)
async def placeholder(request: Request, state: StateDep, path: str = "") -> HTMLResponse:
    if state.settings.env != "dev":
        raise NotFound("no such page: the company's site is NURTURE_SITE_URL")
    tags = dict(parse_qsl(request.url.query))
    rows = "".join(
        f"<tr><th style='text-align:left'>{key}</th><td>{html.escape(tags.get(key, '—'))}</td></tr>"
        for key in UTM_KEYS
    )
    return HTMLResponse(PAGE.format(path=html.escape(f"/{path}"), rows=rows))
