"""`nurture preview --language ja` of a step nobody translated yet: the English mail whole,
as a Japanese-reading lead would get it, and a note that says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nurture.cli.main import app
from tests.utils.template_folder import en_only_step, use_templates


def test_an_untranslated_step_previews_in_english_whole_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_templates(monkeypatch, tmp_path / "templates", en_only_step("whitepaper", "welcome"))
    runner = CliRunner()

    ja = runner.invoke(app, ["preview", "whitepaper", "welcome", "--language", "ja"])
    en = runner.invoke(app, ["preview", "whitepaper", "welcome", "--language", "en"])

    assert ja.exit_code == 0, ja.output
    assert ja.stdout == en.stdout  # the very mail an English reader gets
    assert ja.stdout.startswith("Subject: Welcome, Example KK\n")
    assert "Unsubscribe:" in ja.stdout and "配信停止" not in ja.stdout and "様" not in ja.stdout
    assert "whitepaper/welcome has no ja template" in ja.stderr
    assert "in English (the fallback)" in ja.stderr
    assert en.stderr == ""


def test_a_translated_step_previews_in_japanese_without_a_note() -> None:
    result = CliRunner().invoke(app, ["preview", "whitepaper", "thanks", "--language", "ja"])
    assert result.exit_code == 0 and "配信停止" in result.stdout and result.stderr == ""


def test_a_broken_template_is_a_readable_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = '{% extends "_layout.txt.j2" %}{% block subject %}{{ offer }}{% endblock %}'
    use_templates(monkeypatch, tmp_path / "templates", {"whitepaper/thanks.txt.j2": broken})
    result = CliRunner().invoke(app, ["preview", "whitepaper", "thanks"])
    assert result.exit_code == 2
    assert "error: whitepaper/thanks.txt.j2: UndefinedError: 'offer' is undefined" in result.stderr
