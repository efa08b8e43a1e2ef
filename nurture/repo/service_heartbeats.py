"""Service heartbeats: each process (API, worker) says it is alive and what it sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from nurture.tables import ServiceHeartbeat


def beat(session: Session, name: str, at: datetime, detail: dict[str, Any]) -> None:
    """Insert or refresh `name`'s row in one statement (concurrent beats never collide)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ServiceHeartbeat).values(name=name, at=at, detail=detail)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"at": statement.excluded.at, "detail": statement.excluded.detail},
    )
    session.execute(statement)


def get(session: Session, name: str) -> ServiceHeartbeat | None:
    return session.get(ServiceHeartbeat, name)


def latest(session: Session, prefix: str) -> ServiceHeartbeat | None:
    """The freshest heartbeat of processes whose name starts with `prefix` (`worker:`)."""
    rows = session.exec(
        select(ServiceHeartbeat)
        .where(col(ServiceHeartbeat.name).startswith(prefix))
        .order_by(col(ServiceHeartbeat.at).desc())
        .limit(1)
    )
    return rows.first()


def ping(session: Session) -> None:
    """A read that needs nothing but a connection: is the database there at all."""
    session.execute(sa.text("SELECT 1"))
