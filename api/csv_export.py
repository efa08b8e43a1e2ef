"""CSV exports of the KPI tables: one header row, then one row per item, as a download."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.responses import Response

CSV = {"type": "string", "description": "a header row, then one row per item"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula (a campaign key sent by anyone's
    UTM tags, say `=HYPERLINK(...)`) is kept as text with a leading apostrophe; numbers,
    negative ones included, stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def csv_response(rows: list[dict[str, Any]], name: str) -> Response:
    """`rows` (dicts with the same keys) as `name`.csv; an empty body for no rows."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
