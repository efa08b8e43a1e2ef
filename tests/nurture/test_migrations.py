"""Migrations bring an empty SQLite or PostgreSQL database to exactly the models' schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

from nurture.db import create_schema, make_engine
from nurture.tables import Handoff, Lead

POSTGRES = os.environ.get(
    "NURTURE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"nurture_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as err:
        pytest.fail(f"PostgreSQL at {POSTGRES} is unreachable ({err.orig}); .ci/run starts one")
    engine = make_engine(make_url(POSTGRES).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_the_models(empty_db: Engine) -> None:
    create_schema(empty_db)
    create_schema(empty_db)  # again: nothing to do
    with empty_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert diff == []  # a model change without a migration fails here
    assert version == "0004"


def test_types_survive_the_round_trip(empty_db: Engine) -> None:
    create_schema(empty_db)
    at = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    with Session(empty_db) as session:
        lead = Lead(email="a@b.example.com", attributes={"language": "ja", "n": 1})
        session.add(lead)
        session.flush()
        session.add(Handoff(id="h1", lead_id=lead.id, created_at=at, amount=Decimal("1200000.50")))
        session.commit()
        loaded = session.exec(select(Handoff)).one()
        assert loaded.created_at == at and loaded.created_at.tzinfo is not None
        assert loaded.amount == Decimal("1200000.50")
        again = session.exec(select(Lead)).one()
        assert again.attributes == {"language": "ja", "n": 1} and again.id == lead.id
