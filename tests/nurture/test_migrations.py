"""Migrations bring an empty SQLite or PostgreSQL database to exactly the models' schema."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from nurture.db import alembic_config, create_schema, make_engine
from nurture.tables import Handoff, Lead
from tests.utils.db_trouble import fresh_postgres_database


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


# Each process connects, says it is ready, waits for the go, then migrates: the API and the
# worker starting together against a fresh PostgreSQL.
MIGRATE_ON_GO = """
import sys, time
from pathlib import Path
from nurture.db import create_schema, make_engine
engine = make_engine(sys.argv[1])
engine.connect().close()
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():
    time.sleep(0.001)
create_schema(engine)
"""


def test_two_processes_migrating_a_fresh_postgresql_at_once_both_start(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        go = tmp_path / "go"
        ready = [tmp_path / f"ready-{i}" for i in range(2)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_ON_GO, url, str(flag), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for flag in ready
        ]
        try:
            while not all(flag.exists() for flag in ready):
                assert all(p.poll() is None for p in procs), "a process died before the go"
                time.sleep(0.01)
            go.touch()
            errors = [p.communicate(timeout=120)[1] for p in procs]
        finally:
            for p in procs:
                p.kill()
        assert [p.returncode for p in procs] == [0, 0], "\n".join(errors)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        finally:
            engine.dispose()
        assert ScriptDirectory.from_config(alembic_config(engine)).get_heads() == [version]


def test_0013_grades_existing_leads_from_their_breakdown(empty_db: Engine) -> None:
    from alembic import command

    config = alembic_config(empty_db)
    with empty_db.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
    rows = {
        "cto@a.example.com": {"decision_maker": 20, "top_industry": 15, "pricing_page_view": 30},
        "dev@b.example.com": {"sweet_spot_size": 10, "webinar_attended": 20, "careers_page": -15},
        "kid@c.example.com": {"student": -30},
        "new@d.example.com": {},
    }
    with empty_db.begin() as conn:
        for email, breakdown in rows.items():
            conn.execute(
                sa.text(
                    "INSERT INTO lead (id, email, name, company, job_title, industry, source,"
                    " scenario, attributes, score, score_breakdown, score_version, stage,"
                    " created_at) VALUES (:id, :email, '', '', '', '', '', 'whitepaper', '{}',"
                    " :score, :breakdown, 0, 'nurturing', :at)"
                ).bindparams(
                    sa.bindparam("breakdown", type_=sa.JSON()),
                    sa.bindparam("id", type_=sa.Uuid()),
                    sa.bindparam("at", type_=sa.DateTime(timezone=True)),
                ),
                {
                    "id": uuid.uuid4(),
                    "email": email,
                    "score": sum(breakdown.values()),
                    "breakdown": breakdown,
                    "at": datetime(2026, 11, 24, tzinfo=UTC),
                },
            )
    create_schema(empty_db)  # the rest of the way, as the API and worker do at start
    with Session(empty_db) as session:
        graded = {
            lead.email: (lead.fit_grade, lead.engagement) for lead in session.exec(select(Lead))
        }
    assert graded == {
        "cto@a.example.com": ("A", 30),
        "dev@b.example.com": ("C", 5),
        "kid@c.example.com": ("D", 0),
        "new@d.example.com": ("C", 0),
    }
