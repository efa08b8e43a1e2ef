"""The dev SMTP sink plus a small web viewer over the `.eml` files it keeps.

The viewer reads the folder, not the sink's memory, so mails from earlier runs
show too. Message numbers count from the newest (1), like `nurture mail --show`.
"""

from __future__ import annotations

import html
import logging
import re
import signal
import threading
from email.message import EmailMessage
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, PlainTextResponse

from nurture.mailsink import MailSink, read_folder

log = logging.getLogger("nurture.cli.mailviewer")

HEADERS = ("Date", "From", "To", "Subject", "Message-ID")
# Mail HTML is untrusted: no scripts anywhere, the HTML part only in a sandboxed srcdoc frame.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: http: https:; "
    "base-uri 'none'; form-action 'none'"
)
STYLE = """<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d9e2ec; }
th { background: #f0f4f8; } a { color: #1f5fbf; }
pre { background: #f7f9fb; padding: 1rem; white-space: pre-wrap; overflow-wrap: anywhere;
  border: 1px solid #d9e2ec; }
iframe { width: 100%; height: 70vh; border: 1px solid #d9e2ec; }
</style>"""


def _newest_first(folder: Path) -> list[tuple[Path, EmailMessage]]:
    return list(reversed(read_folder(folder)))


def _part(msg: EmailMessage, kind: str) -> str:
    body = msg.get_body(preferencelist=(kind,))
    if body is None:
        return ""
    try:
        return str(body.get_content())
    except (LookupError, ValueError):  # unknown charset or broken encoding: show what we can
        return body.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]


_URL = re.compile(r"https?://[^\s<>\"']+")
_NEW_TAB = '<base target="_blank">'


def _new_tab(body: str) -> str:
    """The mail's links open in a new tab, as in a mail client: inside the sandboxed frame
    a followed link would be framed, which the page's CSP (rightly) refuses."""
    head = re.search(r"<head[^>]*>", body, re.IGNORECASE)
    if head:
        return body[: head.end()] + _NEW_TAB + body[head.end() :]
    return _NEW_TAB + body


def _linked(text: str) -> str:
    """The text part, escaped, with its URLs as links that open in a new tab."""
    out, last = [], 0
    for m in _URL.finditer(text):
        url = m.group(0)
        out += [html.escape(text[last : m.start()]), f'<a href="{html.escape(url)}" ']
        out.append(f'target="_blank" rel="noopener">{html.escape(url)}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _summary(index: int, msg: EmailMessage) -> dict[str, Any]:
    return {
        "index": index,
        "date": str(msg.get("Date", "")),
        "from": str(msg.get("From", "")),
        "to": str(msg.get("To", "")),
        "subject": str(msg.get("Subject", "")),
        "message_id": str(msg.get("Message-ID", "")),
    }


def _page(title: str, body: str) -> HTMLResponse:
    doc = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>{STYLE}</head><body>{body}</body></html>"
    )
    return HTMLResponse(doc, headers={"Content-Security-Policy": CSP})


def create_viewer(folder: Path) -> FastAPI:
    """The viewer app over `folder`; separate from `serve_sink` so it can be tested alone."""
    app = FastAPI(title="nurture mail viewer", docs_url=None, redoc_url=None, openapi_url=None)

    def pick(n: int) -> tuple[Path, EmailMessage]:
        messages = _newest_first(folder)
        if not 1 <= n <= len(messages):
            raise HTTPException(404, f"no message {n}")
        return messages[n - 1]

    @app.get("/api/messages")
    def list_messages() -> list[dict[str, Any]]:
        return [_summary(i, msg) for i, (_, msg) in enumerate(_newest_first(folder), start=1)]

    @app.get("/api/messages/{n}")
    def get_message(n: int) -> dict[str, Any]:
        _, msg = pick(n)
        return _summary(n, msg) | {"text": _part(msg, "plain"), "html": _part(msg, "html")}

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        rows = "".join(
            f"<tr><td>{i}</td><td>{html.escape(str(msg.get('Date', '')))}</td>"
            f'<td>{html.escape(str(msg.get("To", "")))}</td><td><a href="/messages/{i}">'
            f"{html.escape(str(msg.get('Subject', '')) or '(no subject)')}</a></td></tr>"
            for i, (_, msg) in enumerate(_newest_first(folder), start=1)
        )
        table = (
            f"<table><tr><th>#</th><th>Date</th><th>To</th><th>Subject</th></tr>{rows}</table>"
            if rows
            else f"<p>No mail yet in <code>{html.escape(str(folder))}</code>.</p>"
        )
        return _page("Mail", f'<h1>Mail</h1><p><a href="/">Refresh</a></p>{table}')

    @app.get("/messages/{n}", response_class=HTMLResponse)
    def message(n: int) -> HTMLResponse:
        _, msg = pick(n)
        heads = "".join(
            f"<tr><th>{h}</th><td>{html.escape(str(msg.get(h, '')))}</td></tr>" for h in HEADERS
        )
        text, body = _part(msg, "plain"), _part(msg, "html")
        frame = (
            f'<iframe title="The mail as HTML" sandbox="allow-popups '
            f'allow-popups-to-escape-sandbox" srcdoc="{html.escape(_new_tab(body), quote=True)}">'
            "</iframe>"
            if body
            else "<p>(no HTML part)</p>"
        )
        return _page(
            str(msg.get("Subject", "Mail")),
            f'<p><a href="/">&larr; All mail</a> &middot; <a href="/messages/{n}/raw">Raw</a></p>'
            f"<table>{heads}</table><h2>Text</h2><pre>{_linked(text) or '(no text part)'}</pre>"
            f"<h2>HTML</h2>{frame}",
        )

    @app.get("/messages/{n}/raw", response_class=PlainTextResponse)
    def raw(n: int) -> PlainTextResponse:
        path, _ = pick(n)
        return PlainTextResponse(path.read_bytes().decode("utf-8", "replace"))

    return app


def serve_sink(host: str, port: int, web_port: int, folder: Path) -> None:
    """Run the SMTP sink (and the viewer unless `web_port` is 0) until SIGINT or SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # uvicorn swaps in its own handlers while serving and re-raises the signal into
    # these afterwards, so both paths end in the `finally` below.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    sink = MailSink(host, port, folder, keep=0).start()  # the viewer reads the folder
    log.info("SMTP sink on %s:%d, keeping mail in %s", host, sink.port, folder)
    try:
        if web_port:
            import uvicorn

            config = uvicorn.Config(
                create_viewer(folder), host=host, port=web_port, log_level="warning"
            )
            log.info("mail viewer on http://%s:%d", host, web_port)
            uvicorn.Server(config).run()
        else:
            while not stop.wait(0.5):
                pass
    finally:
        sink.stop()
        log.info("SMTP sink stopped")
