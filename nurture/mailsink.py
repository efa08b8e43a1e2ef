"""A local SMTP server that keeps every message it receives, for development and tests.

Messages are kept in memory and, given a folder, as `.eml` files there so the
`nurture mail` command and the mail viewer can read them after the fact. Given `keep`, only
the newest `keep` stay in memory (a benchmark holding 50,000 leads gets 50,000 mails), while
`received_count` still counts every one.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class ReceivedMail:
    envelope_to: tuple[str, ...]
    message: EmailMessage
    received_at: float

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return msg


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        self._sink._keep(tuple(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class MailSink:
    """A real SMTP server on `host:port` (0 picks a free port) that keeps what it receives."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        folder: Path | None = None,
        keep: int | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.folder = folder
        self._messages: deque[ReceivedMail] = deque(maxlen=keep)
        self._received = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("mail sink not started")
        return int(self._controller.port)

    def start(self) -> MailSink:
        # aiosmtpd logs every recipient at INFO on "mail.log": personal data, so warnings only.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        # Controller cannot probe readiness on port 0: pick a free port first.
        port = self._requested_port or free_port(self.host)
        controller = Controller(_Handler(self), hostname=self.host, port=port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    @property
    def received_count(self) -> int:
        """Messages received since the start (or `clear`), also those no longer kept."""
        with self._lock:
            return self._received

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._received = 0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Block (a thread, never an event loop) until `count` messages arrived or `timeout`."""
        deadline = time.monotonic() + timeout
        while self.received_count < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.messages

    async def received(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """At least `count` messages (or all there are once `timeout` passes).

        Polls without blocking the event loop: the sender may be running on it.
        """
        deadline = time.monotonic() + timeout
        while self.received_count < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.messages

    def _keep(self, rcpt: tuple[str, ...], raw: bytes) -> None:
        received = ReceivedMail(rcpt, parse(raw), time.time())
        if self.folder is not None:
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(received.received_at))
            name = f"{stamp}-{time.monotonic_ns()}.eml"
            (self.folder / name).write_bytes(raw)
        with self._lock:
            self._messages.append(received)
            self._received += 1


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (bound and released at once)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def read_folder(folder: Path) -> list[tuple[Path, EmailMessage]]:
    """The `.eml` files a sink kept in `folder`, oldest first."""
    if not folder.exists():
        return []
    return [(p, parse(p.read_bytes())) for p in sorted(folder.glob("*.eml"))]
