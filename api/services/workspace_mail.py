"""The /sales sign-in mail: sent by the API itself over the configured relay (nurture.mail),
since a person waiting for it must not wait for a workflow."""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2

from api.services.workspace_words import words
from nurture.mail import DeliveryFailed, RenderedMail, build_message, deliver, message_id_for
from nurture.settings import Settings
from nurture.workspace_tokens import new_value

log = logging.getLogger("nurture.api.workspace")
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
)


def sign_in_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/sales/sign-in/{token}"


def render_sign_in(settings: Settings, token: str, language: str) -> RenderedMail:
    t = words(language)
    values = {"t": t, "url": sign_in_url(settings, token), "minutes": _minutes(settings)}
    return RenderedMail(
        subject=t["mail_subject"],
        text=_templates.get_template("sales/sign_in_mail.txt.j2").render(**values),
        html=_templates.get_template("sales/sign_in_mail.html.j2").render(**values),
        language=t["lang"],
    )


def _minutes(settings: Settings) -> str:
    return f"{settings.sign_in_link_minutes:g}"


async def send_sign_in_link(settings: Settings, to: str, token: str, language: str) -> None:
    """Send the link; a relay that fails is logged (without the address), never raised: the
    person asks again."""
    mail = render_sign_in(settings, token, language)
    message_id = message_id_for(f"sign-in:{new_value()}", settings.mail_from)
    msg = build_message(settings=settings, to=to, rendered=mail, message_id=message_id)

    async def nothing() -> None:
        return None

    try:
        await deliver(settings, msg, before_data=nothing, on_accepted=nothing)
    except DeliveryFailed as err:
        log.warning("the sign-in mail could not be sent (%s); the person may ask again", err)
