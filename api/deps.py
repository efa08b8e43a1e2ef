"""FastAPI dependencies shared by every route: what the lifespan built, as Annotated aliases.

Who is calling is api.auth's business; the database is reached only through `Database`
(api.database), which owns sessions, commit and rollback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.database import Database
from api.services.lead_cache import LeadCache
from nurture.settings import Settings


@dataclass
class AppState:
    """Made once in the lifespan (api.main) and kept on `app.state.nurture`."""

    settings: Settings
    db: Database
    client: Client
    leads: LeadCache = field(default_factory=LeadCache)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.nurture
    return state


def get_db(request: Request) -> Database:
    return get_state(request).db


StateDep = Annotated[AppState, Depends(get_state)]
DbDep = Annotated[Database, Depends(get_db)]
