"""Rendering scenario mails from their Jinja templates and sending them over SMTP."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email import policy as email_policy
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosmtplib
import jinja2
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from nurture.rules.content_links import BadContentLink
from nurture.settings import Settings
from nurture.smtp_errors import Stage

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "templates"


class TemplateMissing(LookupError):
    """No template for this scenario step."""


class TemplateBroken(ValueError):
    """A template that exists and fails to render (an undefined variable, a syntax error);
    the message names the template file."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    language: str = "en"  # the language of the templates used (an untranslated step: en)


@lru_cache(maxsize=4)
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


LANGUAGES = ("en", "ja")


def language_used(name: str, language: str) -> str:
    """The language `render` writes `name` in: `language` when the step is translated
    (`<name>.<language>.txt.j2` exists), else English, the documented fallback."""
    translated = language != "en" and (TEMPLATE_DIR / f"{name}.{language}.txt.j2").exists()
    return language if translated else "en"


def render(name: str, context: dict[str, Any], language: str = "en") -> RenderedMail:
    """Render `<name>.txt.j2` (first line `Subject: ...`) and `<name>.html.j2`.

    For a language other than English, `<name>.<language>.txt.j2` and `.html.j2` are used
    when they exist; a step not yet translated falls back to English, whole: the layout and
    the words a template puts in for missing attributes are English too (`lang` is "en").
    """
    env = _environment(TEMPLATE_DIR)
    used = language_used(name, language)
    base = name if used == "en" else f"{name}.{used}"
    context = {**context, "lang": used}
    text = _render(env, f"{base}.txt.j2", context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise TemplateMissing(f"{base}.txt.j2 must start with a 'Subject:' line")
    subject = first.removeprefix("Subject:").strip()
    html = _render(env, f"{base}.html.j2", {**context, "subject": subject})
    return RenderedMail(subject=subject, text=body.lstrip("\n"), html=html, language=used)


def _render(env: jinja2.Environment, file: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(file).render(**context)
    except jinja2.TemplateNotFound as err:
        raise TemplateMissing(f"no template {err.name} under {TEMPLATE_DIR}") from None
    except (jinja2.TemplateError, BadContentLink) as err:
        raise TemplateBroken(f"{file}: {type(err).__name__}: {err}") from None


def message_id_for(outbox_key: str, mail_from: str) -> str:
    """A Message-ID derived from the outbox key: every retry of one mail carries the same ID."""
    domain = parseaddr(mail_from)[1].partition("@")[2] or "nurture.local"
    digest = hashlib.sha256(outbox_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class _UnfoldedHeader(UnstructuredHeader):
    """A header written as given, on one line. `List-Unsubscribe` holds a signed URL longer
    than the 78-character fold width; folding cannot break a URL, so Python's generator
    would RFC 2047-encode it (`=?utf-8?q?=3Chttp...`), which mail providers do not read as
    the one-click unsubscribe (RFC 2369 and 8058 want `<URL>`). One line of up to 998
    characters is within RFC 5322."""

    max_count = 1
    name: str  # set by email.headerregistry.BaseHeader, which the registry mixes in

    def fold(self, *, policy: Any) -> str:
        text = str(self)
        if not text.isascii() or len(self.name) + 2 + len(text) > 998:
            folded: str = super().fold(policy=policy)  # type: ignore[misc]
            return folded
        return f"{self.name}: {text}{policy.linesep}"


class _HeaderClasses(HeaderRegistry):
    """The stdlib's registry, with each header's class made once. `HeaderRegistry` builds
    a new class for every header it parses (`type(...)` per `msg[name] = value`, some 15
    per mail with its MIME parts), and those classes are cyclic garbage that only the
    collector frees: most of a mail's build time. The classes hold no state (each header's
    is on its instance), so one per name serves every mail."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        super().map_to_type(name, cls)
        self._made.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        """The parsed header, once per name and value: a header is an immutable string
        with its parse tree, and many of a mail's headers are the same in every mail
        (From, MIME-Version, the parts' Content-Type and -Transfer-Encoding, the subject
        of a step), while the stdlib's parser is most of a mail's build time."""
        if not isinstance(value, str):
            return super().__call__(name, value)
        return _parsed(self, name, value)


@lru_cache(maxsize=512)
def _parsed(registry: HeaderRegistry, name: str, value: str) -> BaseHeader:
    header: BaseHeader = registry[name](name, value)
    return header


_HEADERS = _HeaderClasses()
for _name in ("List-Unsubscribe", "List-Unsubscribe-Post"):
    _HEADERS.map_to_type(_name.lower(), _UnfoldedHeader)  # type: ignore[arg-type]
MAIL_POLICY = email_policy.default.clone(header_factory=_HEADERS)


def build_message(
    *,
    settings: Settings,
    to: str,
    rendered: RenderedMail,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
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


class DeliveryFailed(Exception):
    """A delivery that did not get a 250, with how far it got (see smtp_errors)."""

    def __init__(self, stage: Stage, error: BaseException) -> None:
        super().__init__(f"{stage.value}: {type(error).__name__}")
        self.stage = stage
        self.error = error


def relay_of(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}"


async def deliver(
    settings: Settings,
    msg: EmailMessage,
    *,
    before_data: Callable[[], Awaitable[None]],
    on_accepted: Callable[[], Awaitable[None]],
) -> None:
    """Send `msg`, marking the moment its fate becomes unknown and the moment it is known.

    `before_data` runs once the relay took the envelope, just before DATA: from then on a
    crash leaves the mail's fate unknown, so the caller records that first. `on_accepted`
    runs right after the relay's 250, inside the session. Raises DeliveryFailed.
    """
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        timeout=settings.smtp_timeout_seconds,
        start_tls=settings.smtp_starttls,
        cert_bundle=settings.smtp_ca_file,
    )
    stage = Stage.CONNECT
    try:
        try:
            await client.connect()
            if settings.smtp_username and password is not None:
                await client.login(settings.smtp_username, password)
            stage = Stage.ENVELOPE
            flat = await _envelope(client, msg)
            await before_data()
            stage = Stage.DATA
            await client.data(flat)
        except (aiosmtplib.SMTPException, OSError) as err:
            raise DeliveryFailed(stage, err) from None  # SMTP replies quote addresses
        await on_accepted()
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    finally:
        if client.is_connected:
            client.close()


async def _envelope(client: aiosmtplib.SMTP, msg: EmailMessage) -> bytes:
    """MAIL FROM and RCPT TO for `msg`; the flattened message for DATA."""
    sender = extract_sender(msg)
    recipients = extract_recipients(msg)
    if sender is None or not recipients:
        raise ValueError("a mail needs From and To")
    utf8 = not (sender + "".join(recipients)).isascii()
    options = ["SMTPUTF8"] if utf8 else []
    eight_bit = client.supports_extension("8BITMIME")
    if eight_bit:
        options.append("BODY=8BITMIME")
    flat = flatten_message(msg, utf8=utf8, cte_type="8bit" if eight_bit else "7bit")
    await client.mail(sender, options=options, encoding="utf-8" if utf8 else "ascii")
    for recipient in recipients:
        await client.rcpt(recipient, encoding="utf-8" if utf8 else "ascii")
    return flat
