"""Domain errors carry their HTTP status; Temporal's failures are translated to them here.

Routes and services raise these; api.error_handlers renders every one as the JSON envelope.
A Temporal failure is told apart by its type (and RPC status), never by its message text:
`from_temporal` is the one translation, used by the app-wide handler and, through
`temporal_errors`, by the calls whose outcome means something of their own (a handoff that
is gone is "closed", a query nobody answered is "no worker").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"
    challenge = "Bearer"


class SignInRequired(Unauthorized):
    """For pages a person opens in a browser: the browser then asks for the admin token."""

    challenge = 'Basic realm="nurture", charset="UTF-8"'


class SegmentUnauthorized(Unauthorized):
    """For CDPs, whose destinations can send HTTP Basic credentials."""

    challenge = 'Basic realm="nurture segment", charset="UTF-8"'


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class MovedOn(DomainError):
    """The handoff went to another rep (a manager, or the SLA ladder) after the link or page
    was made for this one: nothing for them to do."""

    status_code = 410
    code = "moved_on"

    def __init__(self, message: str, new_rep: str, language: str = "") -> None:
        super().__init__(message)
        self.new_rep = new_rep
        self.language = language  # the reader's, for a page that says it


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Invalid(DomainError):
    status_code = 422
    code = "invalid"


class MalformedBody(DomainError):
    status_code = 400
    code = "malformed_body"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class UnsupportedEncoding(DomainError):
    status_code = 415
    code = "unsupported_encoding"


class Busy(DomainError):
    """The workers are too far behind to take more now; the client waits `retry_after`."""

    status_code = 429
    code = "workers_behind"

    def __init__(self, message: str, retry_after: int, details: Any = None) -> None:
        super().__init__(message, details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    status_code = 503
    code = "unavailable"


# --- Temporal ---------------------------------------------------------------------

UNREACHABLE = "the workflow engine is unreachable; retry later"
NO_ANSWER_IN_TIME = "the workflow engine did not answer in time; try again"
# What the handoff workflow's update validators refuse with (`ApplicationError.type`).
REFUSALS: dict[str, type[DomainError]] = {
    "NotYourHandoff": Forbidden,
    "OutOfOrder": Conflict,
    "InvalidReason": Invalid,
    "InvalidAmount": Invalid,
}
# A call nobody answered in time: no worker polls (the SDK's deadline, or the server's).
NO_ANSWER = frozenset({RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED})
ENGINE_AWAY = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)
TEMPORAL_FAILURES = (
    RPCError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    RuntimeError,
)


def from_temporal(
    err: BaseException,
    *,
    gone: DomainError | None = None,
    no_answer: DomainError | None = None,
    refused: DomainError | None = None,
) -> DomainError | None:
    """The domain error a Temporal failure stands for; None when it stands for none (a 500).

    Args:
        err: what the SDK raised.
        gone: what a workflow that does not exist (NOT_FOUND) means to this call.
        no_answer: what a call nobody answered in time means to this call.
        refused: what a failed update means to this call; by default the validator's
            refusal, by its type (REFUSALS).
    """
    if isinstance(err, WorkflowUpdateFailedError):
        if refused is not None:
            return refused
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            return REFUSALS[cause.type](cause.message)
        return None
    if isinstance(err, WorkflowUpdateRPCTimeoutOrCancelledError):
        return no_answer or Unavailable(NO_ANSWER_IN_TIME)
    if isinstance(err, RPCError):
        if err.status == RPCStatusCode.NOT_FOUND and gone is not None:
            return gone
        if err.status in NO_ANSWER and no_answer is not None:
            return no_answer
        # A server shutting down cuts the connection mid-call: "transport error" (UNKNOWN).
        cut = err.status == RPCStatusCode.UNKNOWN and "transport error" in err.message.lower()
        if cut or err.status in ENGINE_AWAY:
            return Unavailable(UNREACHABLE)
        if err.status == RPCStatusCode.FAILED_PRECONDITION:
            # "Workflow Task in failed state": the lead's worker cannot run it now (a
            # scenario it does not know yet); Temporal keeps retrying, the caller may too.
            return Unavailable(NO_ANSWER_IN_TIME)
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            return Invalid("the workflow engine refused the request (payload too large?)")
        return None
    if isinstance(err, RuntimeError) and "Failed client connect" in str(err):
        return Unavailable(UNREACHABLE)  # the SDK's client could not (re)connect
    return None


@contextmanager
def temporal_errors(
    *,
    gone: DomainError | None = None,
    no_answer: DomainError | None = None,
    refused: DomainError | None = None,
) -> Iterator[None]:
    """Raise the domain error (`from_temporal`) of a Temporal failure inside the block;
    failures that stand for none propagate as they are."""
    try:
        yield
    except TEMPORAL_FAILURES as err:
        mapped = from_temporal(err, gone=gone, no_answer=no_answer, refused=refused)
        if mapped is None:
            raise
        raise mapped from None
