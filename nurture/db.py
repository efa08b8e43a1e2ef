"""Engine construction and schema creation for SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from nurture import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0  # the worker's: a record retried later costs nothing


def make_engine(
    url: str,
    *,
    busy_timeout_seconds: float | None = None,
    statement_timeout_seconds: float | None = None,
) -> Engine:
    """An engine for the backend: SQLite gets WAL and a busy timeout for concurrent writers.

    Args:
        url: SQLAlchemy URL.
        busy_timeout_seconds: how long a statement waits for another writer's lock (SQLite's
            busy timeout, PostgreSQL's `lock_timeout`) and for a free pooled connection. The
            API passes a short one so a locked database answers 503 soon; None keeps the
            worker's patience (SQLite 30 s, PostgreSQL no lock timeout).
        statement_timeout_seconds: PostgreSQL's `statement_timeout`; None for no limit.
    """
    pool_timeout = {"pool_timeout": busy_timeout_seconds} if busy_timeout_seconds else {}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        timeout = busy_timeout_seconds or SQLITE_BUSY_TIMEOUT_SECONDS
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": timeout},
            pool_size=20,
            hide_parameters=True,  # bound values (emails, names) stay out of errors and logs
            **pool_timeout,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        hide_parameters=True,
        connect_args=_postgres_timeouts(busy_timeout_seconds, statement_timeout_seconds),
        **pool_timeout,
    )


def _postgres_timeouts(busy: float | None, statement: float | None) -> dict[str, Any]:
    """libpq options bounding the wait for a lock, a statement and a connection."""
    options = []
    if busy:
        options.append(f"-c lock_timeout={int(busy * 1000)}")
    if statement:
        options.append(f"-c statement_timeout={int(statement * 1000)}")
    args: dict[str, Any] = {"options": " ".join(options)} if options else {}
    if busy:
        args["connect_timeout"] = max(1, math.ceil(busy))
    return args


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


# PostgreSQL advisory lock held while migrating: the API and the worker both migrate at start,
# and two processes creating the same tables at once make one of them fail.
MIGRATION_LOCK = 0x6E7572747572  # "nurtur"


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic `upgrade head`); safe to repeat, and
    on PostgreSQL safe to run from several processes at once (one migrates, the others then
    find nothing to do). SQLite serialises writers by itself."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
