"""Open pixel, click redirect and one-click unsubscribe: the links inside marketing mail
(api.services.tracking). A tampered or unknown token is a 404."""

from __future__ import annotations

import base64
import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import StateDep
from api.responses import errors
from api.services import tracking as service

router = APIRouter(tags=["tracking"], include_in_schema=True)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}
REDIRECT_TO = {"schema": {"type": "string", "format": "uri"}, "description": "the target URL"}
UNKNOWN_LINK = errors(422, e404="unknown, tampered or expired link")


@router.get(
    "/t/c/{token}",
    response_class=RedirectResponse,
    status_code=302,
    responses={
        302: {"description": "to the link's target", "headers": {"Location": REDIRECT_TO}},
        **UNKNOWN_LINK,
    },
)
async def click(token: str, request: Request, state: StateDep) -> Response:
    """Redirect to the URL the token signs; a person's click is an `email_click` event."""
    url = await service.click(state, token, request.headers.get("User-Agent", ""))
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get(
    "/t/o/{token}",
    response_class=Response,
    responses={200: {"description": "a 1x1 GIF", "content": {"image/gif": {}}}, **UNKNOWN_LINK},
)
async def open_pixel(token: str, request: Request, state: StateDep) -> Response:
    """A 1x1 GIF; a person's open is an `email_open` event (for the open rate)."""
    await service.opened(state, token, request.headers.get("User-Agent", ""))
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 480px; margin: 64px auto; color: #1f2933;">
{body}</body></html>"""


@router.get("/u/{token}", response_class=HTMLResponse, responses=UNKNOWN_LINK)
async def unsubscribe_page(token: str, state: StateDep) -> HTMLResponse:
    """Confirmation page: unsubscribing takes a deliberate POST (link scanners only GET)."""
    service.check_unsubscribe(state.settings, token)
    body = (
        "<h1>Unsubscribe</h1><p>Stop receiving our marketing emails?</p>"
        f'<form method="post" action="/u/{html.escape(token)}">'
        '<button type="submit" style="font-size: 1rem; padding: 8px 16px;">Unsubscribe</button>'
        "</form>"
    )
    return HTMLResponse(PAGE.format(title="Unsubscribe", body=body), headers=NO_STORE)


@router.post("/u/{token}", response_class=HTMLResponse, responses=UNKNOWN_LINK)
async def unsubscribe(token: str, state: StateDep) -> HTMLResponse:
    """Unsubscribe (the form, or RFC 8058 one-click `List-Unsubscribe=One-Click`)."""
    await service.unsubscribe(state, token)
    body = "<h1>You are unsubscribed</h1><p>You will receive no more marketing emails from us.</p>"
    return HTMLResponse(PAGE.format(title="Unsubscribed", body=body), headers=NO_STORE)
