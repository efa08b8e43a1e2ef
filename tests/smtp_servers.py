"""Real SMTP servers that misbehave on purpose: temporary failures, rejections, a stall."""

from __future__ import annotations

import threading
from typing import Any

from aiosmtpd.controller import Controller

from nurture.mailsink import free_port, parse


class Scripted:
    """aiosmtpd handler: `rcpt_replies` answer the first RCPTs, then mail is accepted."""

    def __init__(
        self,
        rcpt_replies: list[str] | None = None,
        stall_quit: bool = False,
        mail_reply: str | None = None,
    ) -> None:
        self.mail_reply = mail_reply
        self.rcpt_replies = list(rcpt_replies or [])
        self.rcpt_attempts = 0
        self.accepted: list[Any] = []
        self.stall_quit = stall_quit
        self.quit_seen = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_attempts += 1
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append(parse(envelope.original_content or envelope.content))
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_quit and not self.quit_seen.is_set():
            self.quit_seen.set()
            # Hold the client in its QUIT: the message is accepted, the send not yet finished.
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "221 Bye"


class ScriptedServer:
    def __init__(self, handler: Scripted) -> None:
        self.handler = handler
        self.port = free_port()
        self._controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> ScriptedServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handler.release.set()
        self._controller.stop()
