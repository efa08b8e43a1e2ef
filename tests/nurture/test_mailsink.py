"""The SMTP sink with a bound on what it keeps in memory: a benchmark that holds 50,000 leads
gets 50,000 mails, and the sink must neither keep them all nor lose count of them."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from nurture.mailsink import MailSink


def _send(sink: MailSink, to: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "n@example.com", to, f"Hello {to}"
    msg.set_content("Thanks for downloading the paper.\n")
    with smtplib.SMTP(sink.host, sink.port) as smtp:
        smtp.send_message(msg)


def test_a_bounded_sink_keeps_the_newest_mails_and_counts_every_one(tmp_path: Path) -> None:
    with MailSink(folder=tmp_path, keep=2) as sink:
        for n in range(5):
            _send(sink, f"lead-{n}@example.com")
        assert sink.received_count == 5
        assert [m.envelope_to for m in sink.messages] == [
            ("lead-3@example.com",),
            ("lead-4@example.com",),
        ]
        assert len(sink.wait_for(5, timeout=1.0)) == 2  # waits on the count, not the kept
    assert len(list(tmp_path.glob("*.eml"))) == 5  # the folder still gets every mail


def test_an_unbounded_sink_keeps_every_mail_until_cleared() -> None:
    with MailSink() as sink:
        for n in range(3):
            _send(sink, f"lead-{n}@example.com")
        assert sink.received_count == 3 and len(sink.messages) == 3
        sink.clear()
        assert sink.received_count == 0 and sink.messages == []
