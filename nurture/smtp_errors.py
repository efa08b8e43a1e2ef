"""What an SMTP failure means for a mail: whose fault it is, and what to do with the mail.

Only a refusal of the recipient bounces a lead. A relay or configuration problem (login,
TLS, a refused sender, an outage) is ours: the mail is held and retried until fixed. A
connection lost after the message went into DATA leaves its fate unknown: never re-sent.
Messages name the cause in words an operator can act on, and never quote an address.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum

import aiosmtplib


class Stage(StrEnum):
    """How far a delivery got when it failed."""

    CONNECT = "connect"  # connecting, TLS, EHLO, AUTH
    ENVELOPE = "envelope"  # MAIL FROM, RCPT TO
    DATA = "data"  # the message was being handed over: the relay may have taken it


class Verdict(StrEnum):
    BOUNCE = "bounce"  # the recipient is refused for good: the lead takes no more mail
    RETRY = "retry"  # the recipient's server says later (greylisting, mailbox busy)
    HOLD = "hold"  # the relay or our configuration: hold the mail until it is fixed
    UNCERTAIN = "uncertain"  # the relay may have accepted it: never send it again blindly


@dataclass(frozen=True)
class SmtpFailure:
    verdict: Verdict
    cause: str  # for logs, the timeline and /healthz: no addresses
    code: int | None = None


_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def scrub(text: str, limit: int = 160) -> str:
    """A server reply without the addresses it may quote, on one line."""
    one_line = " ".join(_ADDRESS.sub("<address>", text).split())
    return one_line[:limit]


def _in_chain(err: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _tls(err: BaseException, relay: str) -> str | None:
    verify = _in_chain(err, ssl.SSLCertVerificationError)
    if isinstance(verify, ssl.SSLCertVerificationError):
        why = verify.verify_message or "certificate verify failed"
        return (
            f"TLS certificate verify failed for the relay {relay} ({why}): trust its CA with "
            "NURTURE_SMTP_CA_FILE"
        )
    if _in_chain(err, ssl.SSLError) is not None:
        return f"TLS handshake with the relay {relay} failed: {scrub(str(err))}"
    text = str(err).lower()
    if "certificate verify failed" in text:
        return (
            f"TLS certificate verify failed for the relay {relay}: trust its CA with "
            "NURTURE_SMTP_CA_FILE"
        )
    return None


def _os_error(err: BaseException, number: int) -> bool:
    """aiosmtplib reports socket errors as text: "[Errno 111] Connect call failed"."""
    found = _in_chain(err, OSError)
    if isinstance(found, OSError) and found.errno == number:
        return True
    return f"[Errno {number}]" in str(err)


def _reply(err: aiosmtplib.SMTPResponseException) -> str:
    return f"{err.code} {scrub(err.message)}".strip()


_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Postfix and others report relay, client and sender rules at RCPT: the relay refusing *us*.
_RELAY_WORDS = (
    "relay access denied",
    "relaying denied",
    "relay not permitted",
    "authentication required",
    "auth required",
    "must authenticate",
    "sender address rejected",
    "client host rejected",
)
_RECIPIENT_WORDS = (
    "recipient address rejected",
    "user unknown",
    "unknown user",
    "no such user",
    "mailbox unavailable",
    "mailbox not found",
    "does not exist",
    "invalid recipient",
    "no mailbox",
)


def _ours(err: aiosmtplib.SMTPRecipientRefused) -> bool:
    """Whether a refusal at RCPT is the relay refusing us rather than the address."""
    text = err.message.lower()
    if any(word in text for word in _RELAY_WORDS):
        return True
    if any(word in text for word in _RECIPIENT_WORDS):
        return False
    enhanced = _ENHANCED.search(err.message)
    if enhanced is not None:  # RFC 3463: x.1 addressing, x.2 mailbox; x.7 policy is ours
        return enhanced.group(2) not in ("1", "2")
    return err.code not in (450, 550, 551, 553)  # the classic "no such mailbox" codes


def _at_rcpt(err: aiosmtplib.SMTPRecipientRefused, relay: str) -> SmtpFailure:
    """A refusal at RCPT: the recipient's address (bounce, or later), or the relay and us."""
    reply = _reply(err)
    if _ours(err):
        return SmtpFailure(
            Verdict.HOLD,
            f"the relay {relay} refused to take the mail ({reply}): check the relay's rules "
            "for our login and NURTURE_MAIL_FROM",
            err.code,
        )
    if 400 <= err.code < 500:
        return SmtpFailure(Verdict.RETRY, f"the recipient's server said later ({reply})")
    return SmtpFailure(Verdict.BOUNCE, f"the recipient was refused ({reply})", err.code)


def classify(err: BaseException, stage: Stage, relay: str) -> SmtpFailure:
    """The verdict on one failed delivery; `relay` is `host:port` (never personal data)."""
    tls = _tls(err, relay)
    if tls is not None:
        return SmtpFailure(Verdict.HOLD, tls)
    refused: aiosmtplib.SMTPRecipientRefused | None = None
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused) and err.recipients:
        refused = err.recipients[0]
    elif isinstance(err, aiosmtplib.SMTPRecipientRefused):
        refused = err
    if refused is not None:
        return _at_rcpt(refused, relay)
    if isinstance(err, aiosmtplib.SMTPAuthenticationError):
        return SmtpFailure(
            Verdict.HOLD,
            f"the relay {relay} refused our login ({_reply(err)}): check "
            "NURTURE_SMTP_USERNAME and NURTURE_SMTP_PASSWORD",
            err.code,
        )
    if isinstance(err, aiosmtplib.SMTPSenderRefused):
        return SmtpFailure(
            Verdict.HOLD,
            f"the relay {relay} refused our sender ({_reply(err)}): check NURTURE_MAIL_FROM "
            "and what the relay lets us send as",
            err.code,
        )
    text = str(err).lower()
    unsupported = "not supported" in text or "not offer" in text
    if isinstance(err, aiosmtplib.SMTPNotSupported) or (
        type(err) is aiosmtplib.SMTPException and unsupported
    ):
        if "auth" in text:
            cause = (
                f"the relay {relay} offers no AUTH on this connection (many offer it only "
                "after STARTTLS: set NURTURE_SMTP_STARTTLS=true)"
            )
        elif "starttls" in text:
            cause = (
                f"the relay {relay} does not offer STARTTLS: unset NURTURE_SMTP_STARTTLS or "
                "use another port"
            )
        else:
            cause = f"the relay {relay} does not support what we asked: {scrub(str(err))}"
        return SmtpFailure(Verdict.HOLD, cause)
    if isinstance(err, aiosmtplib.SMTPResponseException):
        # A reply with a code: the relay answered, so nothing was accepted (DATA included).
        where = "refused the message" if stage == Stage.DATA else "refused"
        return SmtpFailure(Verdict.HOLD, f"the relay {relay} {where} ({_reply(err)})", err.code)
    if stage == Stage.DATA:
        return SmtpFailure(
            Verdict.UNCERTAIN,
            f"the connection to the relay {relay} was lost while it took the message "
            f"({type(err).__name__}): it may or may not have been delivered",
        )
    if isinstance(err, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return SmtpFailure(Verdict.HOLD, f"the relay {relay} did not answer in time")
    if _os_error(err, errno.ECONNREFUSED) or _in_chain(err, ConnectionRefusedError):
        return SmtpFailure(Verdict.HOLD, f"cannot connect to the relay {relay} (refused)")
    if _in_chain(err, socket.gaierror) or "name or service not known" in str(err).lower():
        return SmtpFailure(Verdict.HOLD, f"cannot resolve the relay's host name ({relay})")
    if isinstance(err, aiosmtplib.SMTPServerDisconnected):
        return SmtpFailure(Verdict.HOLD, f"the relay {relay} closed the connection")
    return SmtpFailure(
        Verdict.HOLD, f"cannot reach the relay {relay} ({type(err).__name__}: {scrub(str(err))})"
    )
