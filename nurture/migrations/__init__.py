"""Alembic migrations of the read model (SQLite and PostgreSQL)."""
