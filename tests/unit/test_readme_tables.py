"""The README and the docs render as their authors meant: every table row is in a table.

A paragraph written between two rows ends the table there, and the rows after it show as
raw pipes (the README's API table did, after the `amount` paragraph). Rendered as CommonMark
with tables, the markdown-it-py library rich itself renders with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

PROJECT = Path(__file__).resolve().parents[2]
DOCUMENTS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]


def stray_rows(text: str) -> list[int]:
    """Line numbers (1-based) of lines that look like table rows but render outside one."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    in_table: set[int] = set()
    in_code: set[int] = set()
    for token in tokens:
        if token.map is None:
            continue
        lines = set(range(token.map[0], token.map[1]))
        if token.type == "table_open":
            in_table |= lines
        elif token.type in ("fence", "code_block"):
            in_code |= lines
    return [
        n + 1
        for n, line in enumerate(text.splitlines())
        if line.lstrip().startswith("|") and n not in in_table and n not in in_code
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_table_row_renders_in_a_table(document: Path) -> None:
    assert stray_rows(document.read_text(encoding="utf-8")) == []


def test_a_paragraph_between_rows_is_caught() -> None:
    broken = "| a | b |\n|---|---|\n| 1 | 2 |\n\nA note.\n| 3 | 4 |\n"
    assert stray_rows(broken) == [6]
