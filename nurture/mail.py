"""Rendering scenario mails from their Jinja templates and sending them over SMTP."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosmtplib
import jinja2

from nurture.settings import Settings

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "templates"


class TemplateMissing(LookupError):
    """No template for this scenario step."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


LANGUAGES = ("en", "ja")


def render(name: str, context: dict[str, Any], language: str = "en") -> RenderedMail:
    """Render `<name>.txt.j2` (first line `Subject: ...`) and `<name>.html.j2`.

    For a language other than English, `<name>.<language>.txt.j2` and `.html.j2` are used
    when they exist; a step not yet translated falls back to English.
    """
    env = _environment()
    names = [f"{name}.{language}", name] if language != "en" else [name]
    try:
        base = next((n for n in names if (TEMPLATE_DIR / f"{n}.txt.j2").exists()), name)
        text_template = env.get_template(f"{base}.txt.j2")
        html_template = env.get_template(f"{base}.html.j2")
    except jinja2.TemplateNotFound as err:
        raise TemplateMissing(f"no template {err.name} under {TEMPLATE_DIR}") from err
    context = {"lang": language, **context}
    text = text_template.render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise TemplateMissing(f"{name}.txt.j2 must start with a 'Subject:' line")
    subject = first.removeprefix("Subject:").strip()
    html = html_template.render(subject=subject, **context)
    return RenderedMail(subject=subject, text=body.lstrip("\n"), html=html)


def message_id_for(outbox_key: str, mail_from: str) -> str:
    """A Message-ID derived from the outbox key: every retry of one mail carries the same ID."""
    domain = parseaddr(mail_from)[1].partition("@")[2] or "nurture.local"
    digest = hashlib.sha256(outbox_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_message(
    *,
    settings: Settings,
    to: str,
    rendered: RenderedMail,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


async def deliver(
    settings: Settings, msg: EmailMessage, on_accepted: Callable[[], Awaitable[None]]
) -> None:
    """Send `msg`; once the server accepts it, `on_accepted` runs before the session ends.

    Recording the send inside the SMTP session (before QUIT) leaves the smallest window in
    which a crash could make a retry send the message again.
    """
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout_seconds,
        start_tls=settings.smtp_starttls,
    )
    await client.connect()
    try:
        if settings.smtp_username and password is not None:
            await client.login(settings.smtp_username, password)
        await client.send_message(msg)
        await on_accepted()
    finally:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
