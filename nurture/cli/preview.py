"""Rendering a scenario step for its author, without a database, a server or a send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nurture import mail
from nurture.cli.preview_handoff import handoff_context
from nurture.rules import content_links
from nurture.rules.content_links import CampaignAsset
from scenarios import SCENARIOS

SAMPLE_LEAD: dict[str, Any] = {
    "id": "00000000-0000-0000-0000-000000000000",
    "name": "Yamada Hanako",
    "email": "hanako.yamada@example.com",
    "company": "Example KK",
    "job_title": "CTO",
    "industry": "Manufacturing",
    "company_size": 300,
    "source": "preview",
    "scenario": "",
    "attributes": {},
}


class PreviewError(ValueError):
    """What the author asked for cannot be rendered; the message says why."""


HANDOFF = "handoff"  # the mails to sales reps: previewed with a sample handoff


def steps(scenario: str) -> list[str]:
    folder = mail.TEMPLATE_DIR / scenario
    names = {p.name.split(".")[0] for p in folder.glob("*.txt.j2")} if folder.is_dir() else set()
    return sorted(n for n in names if not n.startswith("_"))  # _actions: a part, not a mail


def render(
    scenario: str,
    step: str,
    lead: dict[str, Any] | None = None,
    language: str = "en",
    site_url: str = "https://www.example.com",
    campaign: CampaignAsset | None = None,
) -> mail.RenderedMail:
    """The mail a lead gets; its content links go to `site_url`, tagged as a send would."""
    if scenario.startswith("_") or not steps(scenario):
        if scenario in SCENARIOS or scenario == HANDOFF:
            raise PreviewError(f"scenario {scenario!r} has no templates in {mail.TEMPLATE_DIR}")
        raise PreviewError(f"no scenario {scenario!r}; scenarios: {', '.join(sorted(SCENARIOS))}")
    if step not in steps(scenario):
        raise PreviewError(
            f"scenario {scenario!r} has no step {step!r}; steps: {', '.join(steps(scenario))}"
        )
    if language not in mail.LANGUAGES:
        raise PreviewError(f"language must be one of {', '.join(mail.LANGUAGES)}")
    person = {**SAMPLE_LEAD, "scenario": scenario, **(lead or {})}
    attributes = person.get("attributes") or {}
    utm = content_links.utm_for(person.get("source"), scenario, step)
    context = {
        "lead": person,
        "rep": None,
        **content_links.template_values(site_url, utm, attributes, campaign),
        "questions": attributes.get("questions", []),
        "unsubscribe_url": "http://localhost:8000/u/preview",
    }
    if scenario == HANDOFF:
        context = {**context, **handoff_context(language, "http://localhost:8000")}
        context.pop("unsubscribe_url")  # mail to reps has no unsubscribe link
    try:
        return mail.render(f"{scenario}/{step}", context, language)
    except (mail.TemplateMissing, mail.TemplateBroken) as err:
        raise PreviewError(str(err)) from None


def write_html(rendered: mail.RenderedMail, path: Path) -> None:
    path.write_text(rendered.html, encoding="utf-8")
