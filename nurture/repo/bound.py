"""Core statements built once with bound parameters, for the writes on the hot path.

Each parameter is named `p_<column>` and typed as its column, so one statement serves every
call; running them in the ORM session's transaction flushes its pending changes first,
as an ORM statement's autoflush did.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session


def param(column: Any) -> Any:
    """The bound parameter standing for `column`'s value."""
    return sa.bindparam(f"p_{column.name}", type_=column.type)


def params(**values: Any) -> dict[str, Any]:
    """Values by column name, as the statements' parameters."""
    return {f"p_{name}": value for name, value in values.items()}


def insert_all(table: Any) -> Any:
    """An INSERT of every column but the generated `id`: a value for each is required, so a
    column added to the table fails the tests until its writer gives it."""
    return sa.insert(table).values({c.name: param(c) for c in table.c if c.name != "id"})


def run(session: Session, statement: Any, values: Any) -> Any:
    """Run `statement` in the session's transaction, after its pending ORM changes."""
    session.flush()
    return session.connection().execute(statement, values)
