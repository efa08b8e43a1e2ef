"""Whose fault an SMTP failure is: only a refused address bounces a lead."""

from __future__ import annotations

import ssl

import aiosmtplib
import pytest

from nurture.smtp_errors import Stage, Verdict, classify, scrub

RELAY = "smtp.example.net:587"


def _rcpt(code: int, text: str) -> aiosmtplib.SMTPRecipientRefused:
    return aiosmtplib.SMTPRecipientRefused(code, text, "someone@customer.example.com")


@pytest.mark.parametrize(
    ("code", "text", "verdict"),
    [
        (550, "5.1.1 <a@b.example>: Recipient address rejected: User unknown", Verdict.BOUNCE),
        (550, "5.4.1 Recipient address rejected: Access denied", Verdict.BOUNCE),  # Exchange
        (552, "5.2.2 mailbox full", Verdict.BOUNCE),
        (550, "No such user here", Verdict.BOUNCE),
        (554, "5.7.1 <a@b.example>: Relay access denied", Verdict.HOLD),  # Postfix, no login
        (553, "5.7.1 <n@us.example>: Sender address rejected: not owned by user", Verdict.HOLD),
        (550, "5.7.1 Client host rejected: cannot find your hostname", Verdict.HOLD),
        (530, "5.7.0 Authentication required", Verdict.HOLD),
        (554, "5.3.0 mail system full", Verdict.HOLD),
        (451, "4.7.1 Greylisted, try again later", Verdict.HOLD),  # a policy: ours to watch
        (450, "4.2.0 Mailbox busy", Verdict.RETRY),
        (452, "4.2.2 Mailbox over quota", Verdict.RETRY),
    ],
)
def test_a_refusal_at_rcpt(code: int, text: str, verdict: Verdict) -> None:
    got = classify(_rcpt(code, text), Stage.ENVELOPE, RELAY)
    assert got.verdict == verdict, got.cause
    assert "@" not in got.cause  # the reply's addresses are scrubbed


def test_the_relay_refusing_our_login_holds_and_says_what_to_check() -> None:
    err = aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Authentication credentials invalid")
    got = classify(err, Stage.CONNECT, RELAY)
    assert got.verdict == Verdict.HOLD and got.code == 535
    assert "refused our login (535 5.7.8" in got.cause
    assert "NURTURE_SMTP_PASSWORD" in got.cause


def test_an_untrusted_certificate_names_the_setting() -> None:
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    verify.verify_message = "self-signed certificate in certificate chain"
    wrapped = aiosmtplib.SMTPConnectError("Error connecting: certificate verify failed")
    wrapped.__cause__ = verify
    got = classify(wrapped, Stage.CONNECT, RELAY)
    assert got.verdict == Verdict.HOLD
    assert "self-signed certificate" in got.cause and "NURTURE_SMTP_CA_FILE" in got.cause


def test_a_connection_lost_in_data_is_uncertain_and_a_reply_in_data_is_not() -> None:
    lost = classify(aiosmtplib.SMTPServerDisconnected("gone"), Stage.DATA, RELAY)
    assert lost.verdict == Verdict.UNCERTAIN
    refused = classify(aiosmtplib.SMTPDataError(554, "5.6.0 message refused"), Stage.DATA, RELAY)
    assert refused.verdict == Verdict.HOLD  # the relay answered: nothing was taken


def test_a_refused_connection_and_a_timeout_hold() -> None:
    refused = aiosmtplib.SMTPConnectError(
        "Error connecting to 127.0.0.1 on port 25: [Errno 111] Connect call failed"
    )
    assert classify(refused, Stage.CONNECT, RELAY).cause.endswith("(refused)")
    timeout = classify(aiosmtplib.SMTPTimeoutError("timed out"), Stage.ENVELOPE, RELAY)
    assert timeout.verdict == Verdict.HOLD and "did not answer in time" in timeout.cause


def test_scrub_keeps_codes_and_drops_addresses() -> None:
    assert scrub("550 5.1.1 <yamada@customer.example.com> unknown\n  here") == (
        "550 5.1.1 <address> unknown here"
    )
