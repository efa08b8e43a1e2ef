"""The update ID of a sales action: the same request twice is one action.

Temporal keeps the outcome of each update ID of a run, and answers a repeated ID with that
first outcome, even after the workflow has completed. So a client retrying a request whose
answer it never got (a 503, a dropped connection) gets what its first try recorded instead
of a 409, while a different action, actor or body is a new request, checked as usual.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

CENT = Decimal("0.01")


def action_update_id(
    handoff_id: str,
    action: str,
    rep_id: str | None,
    *,
    reason: str | None,
    note: str,
    amount: Decimal | None,
    via: str = "api",
) -> str:
    """`<handoff>:<action>:<actor>:<digest of the body>`; the actor is `admin` or the rep's ID.

    An action taken through a rep's one-click link reads `<actor>:link` in place of the actor,
    so the workflow's history records who acted and how (the API's IDs stay as they were).

    Amounts compare as money (500000 and 500000.00 are one amount); the body enters only as
    a digest, so no note text reaches the workflow history through the ID.
    """
    body = {
        "reason": reason,
        "note": note,
        "amount": None if amount is None else format(amount.quantize(CENT), "f"),
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    actor = f"rep-{rep_id}" if rep_id else "admin"
    if via != "api":
        actor = f"{actor}:{via}"
    return f"{handoff_id}:{action}:{actor}:{digest}"
