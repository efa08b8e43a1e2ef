"""A copy of the mail templates with a few files added or removed, for tests of authoring
(an untranslated step, a step without a template, a scenario of the test's own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nurture import mail

TEMPLATES = mail.TEMPLATE_DIR  # the real ones, whatever a test swaps in later

# An English-only step, extending the real layouts.
EN_TEXT = """{% extends "_layout.txt.j2" %}
{% block subject %}Welcome, {{ lead.company }}{% endblock %}
{% block body %}
Hello {{ lead.name }}, thank you for trying us.
{% endblock %}
"""
EN_HTML = """{% extends "_layout.html.j2" %}
{% block body %}<p>Hello {{ lead.name }}, thank you for trying us.</p>{% endblock %}
"""


def en_only_step(scenario: str, step: str) -> dict[str, str | None]:
    """The files of an English-only step `scenario/step`."""
    return {f"{scenario}/{step}.txt.j2": EN_TEXT, f"{scenario}/{step}.html.j2": EN_HTML}


def template_folder(folder: Path, changes: dict[str, str | None]) -> Path:
    """The real templates copied to `folder`, then each name in `changes` (relative to the
    templates' root) written with its text, or removed when the text is None."""
    shutil.copytree(TEMPLATES, folder)
    for name, text in changes.items():
        path = folder / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return folder


def use_templates(
    monkeypatch: pytest.MonkeyPatch, folder: Path, changes: dict[str, str | None]
) -> Path:
    """Render every mail of this test (API, worker, preview) from a changed copy."""
    copy = template_folder(folder, changes)
    monkeypatch.setattr(mail, "TEMPLATE_DIR", copy)
    return copy
