"""FastAPI dependencies: the shared clients from the lifespan, sessions, and the auth checks."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from api.errors import TooLarge, Unauthorized
from api.lead_cache import LeadCache
from nurture import signing
from nurture.db import session_scope
from nurture.repo import reps
from nurture.settings import Settings
from nurture.tables import Rep


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    client: Client
    leads: LeadCache = field(default_factory=LeadCache)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.nurture
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session per request that commits on success and rolls back on error."""
    with session_scope(state.engine) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is the answer
# (FastAPI's default closes the dependency after sending: a 201 for a write then lost).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def is_admin(request: Request, settings: Settings) -> bool:
    token = bearer_token(request)
    return token is not None and hmac.compare_digest(
        token.encode(), settings.admin_token.get_secret_value().encode()
    )


def _not_bearer(request: Request) -> str | None:
    """Why the Authorization header is no usable bearer token; None when it is one or absent."""
    header = request.headers.get("Authorization", "")
    if header and bearer_token(request) is None:
        return "the Authorization header must read 'Bearer <token>'"
    return None


def require_admin(request: Request, state: StateDep) -> None:
    if is_admin(request, state.settings):
        return
    wrong = _not_bearer(request)
    if wrong is not None:
        raise Unauthorized(f"{wrong}; this endpoint needs the admin token")
    if bearer_token(request) is not None:
        raise Unauthorized("the bearer token is not the admin token; this endpoint needs it")
    raise Unauthorized("an admin bearer token is required (Authorization: Bearer <token>)")


AdminDep = Annotated[None, Depends(require_admin)]


@dataclass(frozen=True)
class Actor:
    """Who calls a sales endpoint: a rep (by their token) or an admin."""

    rep: Rep | None
    is_admin: bool

    @property
    def rep_id(self) -> uuid.UUID | None:
        return self.rep.id if self.rep else None


def sales_actor(request: Request, state: StateDep) -> Actor:
    if is_admin(request, state.settings):
        return Actor(rep=None, is_admin=True)
    token = bearer_token(request)
    if token is None:
        wrong = _not_bearer(request) or "a rep token is required"
        raise Unauthorized(f"{wrong} (Authorization: Bearer <token>)")
    with Session(state.engine, expire_on_commit=False) as session:
        rep = reps.rep_by_token(session, token)
    if rep is None or not rep.active:
        raise Unauthorized("unknown or disabled rep token")
    return Actor(rep=rep, is_admin=False)


ActorDep = Annotated[Actor, Depends(sales_actor)]


def lead_reader(request: Request, state: StateDep) -> Actor:
    """The admin, or a rep (who may read the leads handed to them: checked by the route)."""
    if not request.headers.get("Authorization"):
        raise Unauthorized(
            "a bearer token is required (Authorization: Bearer <token>): the admin token, "
            "or a rep's token for a lead handed to that rep"
        )
    return sales_actor(request, state)


ReaderDep = Annotated[Actor, Depends(lead_reader)]


MAX_BODY_BYTES = 1024 * 1024


async def read_body(request: Request) -> bytes:
    """The body, refusing more than MAX_BODY_BYTES before and while reading it."""
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def verified_body(request: Request, state: StateDep) -> bytes:
    """The raw body, once its webhook signature is checked."""
    if not request.headers.get(signing.HEADER):
        raise Unauthorized(f"missing {signing.HEADER} header")
    body = await read_body(request)
    try:
        signing.verify(
            request.headers.get(signing.HEADER),
            body,
            state.settings.webhook_secret.get_secret_value(),
            state.settings.webhook_tolerance_seconds,
        )
    except signing.SignatureError as err:
        raise Unauthorized(str(err)) from None
    return body


async def intake_body(request: Request, state: StateDep) -> bytes:
    """Lead intake accepts a signed webhook (form tools) or the admin token (people, scripts)."""
    if is_admin(request, state.settings):
        return await read_body(request)
    if request.headers.get(signing.HEADER):
        return await verified_body(request, state)
    either = (
        f"send the admin token (Authorization: Bearer <token>) or sign the body ({signing.HEADER})"
    )
    wrong = _not_bearer(request)
    if wrong is not None:
        raise Unauthorized(f"{wrong}; {either}")
    if bearer_token(request) is not None:
        raise Unauthorized(f"the bearer token is not the admin token; {either}")
    raise Unauthorized(f"a valid admin bearer token or a webhook signature is required: {either}")


SignedBody = Annotated[bytes, Depends(verified_body)]
IntakeBody = Annotated[bytes, Depends(intake_body)]
