"""A database in trouble, for real: a write-locked SQLite file, a locked PostgreSQL table."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from nurture.settings import Settings

POSTGRES = os.environ.get(
    "NURTURE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def sqlite_write_locked(settings: Settings) -> Iterator[None]:
    """Another connection holds the write lock of the settings' SQLite file (as a stuck
    process or an operator's shell would) until the block ends."""
    path = settings.database_url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None, timeout=10)  # waits out a writer
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def postgres_table_locked(url: str, table: str) -> Iterator[None]:
    """Another session holds an ACCESS EXCLUSIVE lock on `table` until the block ends."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


@contextmanager
def locked(settings: Settings, table: str) -> Iterator[None]:
    """SQLite: the whole file write-locked; PostgreSQL: `table` locked by another session."""
    if settings.database_url.startswith("sqlite"):
        with sqlite_write_locked(settings):
            yield
    else:
        with postgres_table_locked(settings.database_url, table):
            yield


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"nurture_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as err:
        pytest.fail(f"PostgreSQL at {POSTGRES} is unreachable ({err.orig}); .ci/run starts one")
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
