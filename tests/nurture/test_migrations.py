"""Migrations bring an empty SQLite or PostgreSQL database to exactly the models' schema."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from nurture.db import alembic_config, create_schema
from nurture.tables import Handoff, Lead


def test_upgrade_from_empty_matches_the_models(empty_db: Engine) -> None:
    create_schema(empty_db)
    create_schema(empty_db)  # again: nothing to do
    with empty_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert diff == []  # a model change without a migration fails here
    heads = ScriptDirectory.from_config(alembic_config(empty_db)).get_heads()
    assert heads == [version]  # one line of migrations, all applied


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
