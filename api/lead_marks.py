"""What the API notes about a lead's workflow as it learns it: started, or halted by ops."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from nurture.db import session_scope
from nurture.repo import lifecycle


def started(engine: Engine, lead_id: uuid.UUID) -> None:
    with session_scope(engine) as session:
        lifecycle.mark_started(session, lead_id, datetime.now(UTC))


def halted(engine: Engine, lead_id: uuid.UUID, how: str) -> None:
    with session_scope(engine) as session:
        lifecycle.mark_halted(session, lead_id, how, datetime.now(UTC))
