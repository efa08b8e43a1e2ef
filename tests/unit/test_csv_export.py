"""CSV exports keep text that a spreadsheet would run as a formula as text."""

from __future__ import annotations

import csv
import io

from api.csv_export import csv_response


def test_formula_text_is_kept_as_text_and_numbers_stay_numbers() -> None:
    rows = [
        {"key": '=HYPERLINK("http://x.example")', "roi": "-0.25", "name": "@ads"},
        {"key": "wp-2026", "roi": "1.5", "name": "+1 campaign"},
    ]
    body = bytes(csv_response(rows, "t").body).decode()
    got = list(csv.DictReader(io.StringIO(body)))
    assert got[0] == {"key": '\'=HYPERLINK("http://x.example")', "roi": "-0.25", "name": "'@ads"}
    assert got[1] == {"key": "wp-2026", "roi": "1.5", "name": "'+1 campaign"}
