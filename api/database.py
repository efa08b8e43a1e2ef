"""The API's one owner of database sessions: each database step of a request is a unit of work.

Sessions are synchronous (SQLModel) and the routes are async, so `Database.run(work, ...)`
runs `work(session, ...)` in the threadpool inside `nurture.db.session_scope`, which commits
on success and rolls back on any error. Nothing else in `api/` opens a session or commits.

Units are short on purpose, rather than one session per request: a request that stores a
lead and then waits seconds for Temporal must not hold the database's locks meanwhile
(SQLite has one writer), and a Segment batch works on several people at once, which one
session could not serve. Each unit commits before the response is sent, so a failed commit
is the answer (a 503 from api.server_errors), never a 201 for a write then lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from nurture.db import session_scope

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    engine: Engine

    async def run(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, *args, **kwargs)` in one transaction, off the event loop."""

        def unit() -> T:
            with session_scope(self.engine) as session:
                return work(session, *args, **kwargs)

        return await run_in_threadpool(unit)
