"""CSV exports of the KPI tables: one header row, then one row per item, as a download."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.responses import Response

CSV = {"type": "string", "description": "a header row, then one row per item"}


def csv_response(rows: list[dict[str, Any]], name: str) -> Response:
    """`rows` (dicts with the same keys) as `name`.csv; an empty body for no rows."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
