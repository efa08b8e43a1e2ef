"""A sales rep's one-click links from the handoff mail, as pages (api.services.rep_links).

`GET /r/{token}` shows the lead and one button and never acts (mail scanners fetch links);
`POST /r/{token}` from that page acts. Every answer is a readable page, refusals included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import StateDep
from api.errors import DomainError, Invalid, MovedOn
from api.parsing import read_body
from api.schemas.rep_links import LinkForm
from api.services import rep_links as service
from api.services.rep_link_words import words
from nurture import rep_links
from nurture.rules import rep_words

router = APIRouter(tags=["sales links"], include_in_schema=False)
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
)
# No caching, no referrer (the token stays off other sites' logs), and no framing: a page
# whose one button acts must not be clickjacked inside another site.
HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
REFUSED = {"invalid": 404, "expired": 410, "stale_page": 403}


def _render(request: Request, state: StateDep, token: str, page: service.LinkPage) -> HTMLResponse:
    language = page.language or state.settings.default_language  # the rep's, once known
    t = words(language)
    values = dict(page.values)
    values["delta"] = t[values["when"]].format(d=values["span"]) if "when" in values else ""
    if "status" in values:
        values["status"] = rep_words.handoff_status(values["status"], language)
    if values.get("reason"):
        values["reason"] = rep_words.outcome_reason(values["reason"], language)
    html = _templates.get_template("rep_link.html.j2").render(
        page=page,
        t=t,
        token=token,
        heading=t.get(page.title, "").format(**values),
        text=t.get(page.text, "").format(**values),
        status=lambda status: rep_words.handoff_status(status, language),
        priority=lambda priority: rep_words.priority_name(priority, language),
        reason=lambda reason: rep_words.outcome_reason(reason, language),
    )
    response = HTMLResponse(html, status_code=page.status_code, headers=HEADERS)
    if page.nonce:
        response.set_cookie(
            rep_links.cookie_name(token),
            page.nonce,
            max_age=rep_links.CONFIRM_MINUTES * 60,
            path="/r/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def _refused(kind: str, status: int, detail: str = "") -> service.LinkPage:
    return service.LinkPage("refused", status, title=kind, text=f"{kind}_text", detail=detail)


def _error_page(err: rep_links.LinkRefused | DomainError) -> service.LinkPage:
    if isinstance(err, rep_links.LinkRefused):
        return _refused(err.kind, REFUSED.get(err.kind, 400))
    if isinstance(err, MovedOn):
        page = _refused("moved_on", err.status_code)
        return replace(page, values={"rep": err.new_rep}, language=err.language)
    titles = {"forbidden": "forbidden", "invalid": "invalid_form"}
    title = titles.get(err.code, err.code)
    return _refused(title, err.status_code, detail=err.message)


@router.get("/r/{token}", response_class=HTMLResponse)
async def link_page(token: str, request: Request, state: StateDep) -> HTMLResponse:
    """The lead and one button; opening the link changes nothing."""
    try:
        page = await service.show(state, token, datetime.now(UTC))
    except (rep_links.LinkRefused, DomainError) as err:
        page = _error_page(err)
    return _render(request, state, token, page)


@router.post("/r/{token}", response_class=HTMLResponse)
async def link_act(token: str, request: Request, state: StateDep) -> HTMLResponse:
    """The button of the link's page: acts once, then says what happened and what is next."""
    try:
        raw = parse_qs((await read_body(request)).decode("utf-8", "replace"))
        try:
            form = LinkForm.model_validate({k: v[0] for k, v in raw.items() if v})
        except ValidationError:
            raise Invalid("a field of the form is too long") from None
        nonce = request.cookies.get(rep_links.cookie_name(token), "")
        page = await service.use(state, token, form, nonce, datetime.now(UTC))
    except (rep_links.LinkRefused, DomainError) as err:
        page = _error_page(err)
    return _render(request, state, token, page)
