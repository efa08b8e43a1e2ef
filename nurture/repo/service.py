"""Heartbeats of the processes that make up nurture, for `/healthz` to say who is alive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from nurture.tables import ServiceHeartbeat


def beat(session: Session, name: str, at: datetime, detail: dict[str, Any]) -> None:
    row = session.get(ServiceHeartbeat, name)
    if row is None:
        row = ServiceHeartbeat(name=name, at=at, detail=detail)
    row.at, row.detail = at, detail
    session.add(row)


def latest(session: Session, prefix: str) -> ServiceHeartbeat | None:
    """The freshest heartbeat of processes whose name starts with `prefix` (`worker:`)."""
    rows = session.exec(
        select(ServiceHeartbeat)
        .where(col(ServiceHeartbeat.name).startswith(prefix))
        .order_by(col(ServiceHeartbeat.at).desc())
        .limit(1)
    )
    return rows.first()
