"""Who is calling: every way a request proves it may, each an Annotated dependency.

- `AdminDep`: the admin bearer token (NURTURE_ADMIN_TOKEN): lead lists, campaigns, KPIs.
- `ActorDep`: a rep's bearer token (their own handoffs) or the admin; `ReaderDep` the same
  for a lead's state (the service checks the lead was handed to that rep).
- `SignedBody`: the raw body once its `X-Nurture-Signature` (nurture.signing) is checked.
- `IntakeBody`: lead intake takes a signed body (form tools) or the admin token (people).
- `SegmentBody`: a CDP proves it holds the webhook secret one of three ways (see there).
- `SdkSourceDep`: a CDP SDK (Segment's, RudderStack's) names its source by a write key
  (NURTURE_SEGMENT_WRITE_KEYS), as the Basic user name or `writeKey` in the body.
- `link_actor`: a rep's one-click link from the handoff mail (nurture.rep_links) stands for
  that rep, on that handoff, for that action only.
- `BrowserAdmin`: pages a browser opens (the dashboard) take HTTP Basic with the admin token
  as password, so the browser asks for it; scripts may send the bearer token.

Secrets are compared in constant time; messages say what to send, never what was sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from api.deps import AppState, StateDep
from api.errors import Forbidden, SegmentUnauthorized, SignInRequired, Unauthorized
from api.parsing import decoded_body, read_body
from nurture import rep_links, signing
from nurture.repo import reps
from nurture.settings import Settings, WriteKey
from nurture.tables import Rep

SEGMENT_HEADER = "X-Signature"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _is_admin_secret(given: str, settings: Settings) -> bool:
    return hmac.compare_digest(given.encode(), settings.admin_token.get_secret_value().encode())


def is_admin(request: Request, settings: Settings) -> bool:
    token = bearer_token(request)
    return token is not None and _is_admin_secret(token, settings)


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


async def sales_actor(request: Request, state: StateDep) -> Actor:
    if is_admin(request, state.settings):
        return Actor(rep=None, is_admin=True)
    token = bearer_token(request)
    if token is None:
        wrong = _not_bearer(request) or "a rep token is required"
        raise Unauthorized(f"{wrong} (Authorization: Bearer <token>)")
    rep = await state.db.run(reps.rep_by_token, token)
    if rep is None or not rep.active:
        raise Unauthorized("unknown or disabled rep token")
    return Actor(rep=rep, is_admin=False)


ActorDep = Annotated[Actor, Depends(sales_actor)]


async def link_actor(
    state: AppState, token: str, now: datetime
) -> tuple[Actor, rep_links.LinkClaim]:
    """The rep a link was signed for, and what it may do; LinkRefused when tampered or expired,
    Forbidden when that rep is unknown or disabled."""
    claim = rep_links.read_link(state.settings.secret_key.get_secret_value(), token, now)
    try:
        rep_id = uuid.UUID(claim.rep_id)
    except ValueError:
        raise rep_links.LinkRefused("invalid") from None
    rep = await state.db.run(reps.get_rep, rep_id)
    if rep is None or not rep.active:
        raise Forbidden("this link's rep is unknown or disabled")
    return Actor(rep=rep, is_admin=False), claim


async def lead_reader(request: Request, state: StateDep) -> Actor:
    """The admin, or a rep (who may read the leads handed to them: checked by the service)."""
    if not request.headers.get("Authorization"):
        raise Unauthorized(
            "a bearer token is required (Authorization: Bearer <token>): the admin token, "
            "or a rep's token for a lead handed to that rep"
        )
    return await sales_actor(request, state)


ReaderDep = Annotated[Actor, Depends(lead_reader)]


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


SignedBody = Annotated[bytes, Depends(verified_body)]


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


IntakeBody = Annotated[bytes, Depends(intake_body)]


def _basic_credentials(header: str, refuse: type[Unauthorized]) -> tuple[str, str] | None:
    """The user name and password of HTTP Basic credentials; None for another scheme."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise refuse("malformed HTTP Basic credentials") from None
    user, _, password = decoded.partition(":")
    return user, password


def _basic_password(header: str, refuse: type[Unauthorized]) -> str | None:
    """The password of HTTP Basic credentials; None when the header is another scheme."""
    credentials = _basic_credentials(header, refuse)
    return credentials[1] if credentials else None


def _check_segment_signature(header: str, body: bytes, secret: str) -> None:
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode()):
        hint = ""
        if body.lstrip()[:1] == b"[":
            # Segment's Webhooks (Actions) sign only the first event of a batched request.
            hint = "; Segment signs only the first event of a batch: turn batching off or use Basic"
        raise SegmentUnauthorized(f"{SEGMENT_HEADER} does not match the body and the secret{hint}")


async def segment_body(request: Request, state: StateDep) -> bytes:
    """The raw body once the caller proved it holds NURTURE_WEBHOOK_SECRET, one of three ways.

    - `X-Nurture-Signature` (ours, timestamped), for senders we control;
    - `X-Signature`, the hex HMAC-SHA1 of the body that Segment's Webhooks destinations send
      when given a shared secret;
    - HTTP Basic auth with the webhook secret as password (any user name), which
      RudderStack's HTTP Webhook destination and any destination with custom headers send.
    """
    if request.headers.get(signing.HEADER):
        try:
            return await verified_body(request, state)
        except Unauthorized as err:
            raise SegmentUnauthorized(err.message) from None
    secret = state.settings.webhook_secret.get_secret_value()
    password = _basic_password(request.headers.get("Authorization", ""), SegmentUnauthorized)
    if password is not None:
        if not hmac.compare_digest(password.encode(), secret.encode()):
            raise SegmentUnauthorized("the HTTP Basic password is not the webhook secret")
        return await read_body(request)
    signature = request.headers.get(SEGMENT_HEADER)
    if signature:
        body = await read_body(request)
        _check_segment_signature(signature, body, secret)
        return body
    raise SegmentUnauthorized(
        f"authenticate with {signing.HEADER}, Segment's {SEGMENT_HEADER} (HMAC-SHA1 of the body) "
        "or HTTP Basic auth with the webhook secret as password"
    )


SegmentBody = Annotated[bytes, Depends(segment_body)]


@dataclass(frozen=True)
class SdkSource:
    """A request from a CDP source's SDK: its (decompressed) body, and the campaign key its
    write key names for new leads without a `source` trait."""

    body: bytes
    campaign: str | None


NO_WRITE_KEY = (
    "send the source's write key as the HTTP Basic user name (the SDKs do, given "
    "write_key) or as writeKey in the JSON body"
)


def _source_of(given: str, keys: list[WriteKey]) -> WriteKey | None:
    """The configured key equal to `given`, every key compared in constant time."""
    found = None
    for key in keys:
        if hmac.compare_digest(given.encode(), key.key.get_secret_value().encode()):
            found = key
    return found


def _body_write_key(body: bytes) -> str | None:
    """`writeKey` of a JSON object body (Segment's HTTP API takes it there too)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    key = payload.get("writeKey") if isinstance(payload, dict) else None
    return key if isinstance(key, str) and key else None


async def sdk_source(request: Request, state: StateDep) -> SdkSource:
    """The source a CDP SDK's request comes from, by its write key; 401 when it names none.

    Segment's and RudderStack's SDKs send `Authorization: Basic <writeKey>:` (the key as user
    name, no password); a key given as the password with an empty user name is taken too.
    A wrong key in the header is refused before the body is read.
    """
    keys = state.settings.segment_write_keys
    if not keys:
        raise SegmentUnauthorized(
            "no write keys are configured: set NURTURE_SEGMENT_WRITE_KEYS "
            "(key=campaign,key2=campaign-b) and give the SDK one of them as its write key"
        )
    credentials = _basic_credentials(request.headers.get("Authorization", ""), SegmentUnauthorized)
    given = (credentials[0] or credentials[1]) if credentials else None
    if credentials is not None and not given:
        raise SegmentUnauthorized(f"the HTTP Basic credentials are empty; {NO_WRITE_KEY}")
    if given is not None and _source_of(given, keys) is None:
        raise SegmentUnauthorized("the write key is not one of NURTURE_SEGMENT_WRITE_KEYS")
    body = await decoded_body(request)
    given = given or _body_write_key(body)
    source = _source_of(given, keys) if given else None
    if source is None:
        wrong = "the writeKey in the body is not one of NURTURE_SEGMENT_WRITE_KEYS"
        raise SegmentUnauthorized(wrong if given else NO_WRITE_KEY)
    return SdkSource(body, source.campaign)


SdkSourceDep = Annotated[SdkSource, Depends(sdk_source)]


def browser_admin(request: Request, state: StateDep) -> None:
    if is_admin(request, state.settings):
        return
    password = _basic_password(request.headers.get("Authorization", ""), SignInRequired)
    if password is not None and _is_admin_secret(password, state.settings):
        return
    raise SignInRequired("sign in with the admin token as the password")


BrowserAdmin = Annotated[None, Depends(browser_admin)]
