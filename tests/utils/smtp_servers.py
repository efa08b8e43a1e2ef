"""Real SMTP servers that misbehave on purpose: temporary failures, rejections, a stall,
a login, STARTTLS with a private CA, and a hook at the moment a message is accepted."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from nurture.mailsink import free_port, parse


class Scripted:
    """aiosmtpd handler: `rcpt_replies` / `mail_replies` answer the first RCPTs / MAILs, then
    mail is accepted. `on_accept` runs as a message is accepted, just before the 250."""

    def __init__(
        self,
        rcpt_replies: list[str] | None = None,
        stall_quit: bool = False,
        mail_replies: list[str] | None = None,
        on_accept: Callable[[], None] | None = None,
    ) -> None:
        self.mail_replies = list(mail_replies or [])
        self.rcpt_replies = list(rcpt_replies or [])
        self.rcpt_attempts = 0
        self.mail_attempts = 0
        self.accepted: list[Any] = []
        self.stall_quit = stall_quit
        self.on_accept = on_accept
        self.quit_seen = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.mail_attempts += 1
        if self.mail_replies:
            return self.mail_replies.pop(0)
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
        if self.on_accept is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_accept)
        return "250 Message accepted"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_quit and not self.quit_seen.is_set():
            self.quit_seen.set()
            # Hold the client in its QUIT: the message is accepted, the send not yet finished.
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "221 Bye"


class Login:
    """An aiosmtpd authenticator that takes one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self._expected = (username.encode(), password.encode())
        self.attempts = 0

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.attempts += 1
        ok = isinstance(auth_data, LoginPassword) and (
            (auth_data.login, auth_data.password) == self._expected
        )
        return AuthResult(success=ok, handled=False)


class ScriptedServer:
    """The handler served on loopback; with `tls` it offers STARTTLS, with `login` AUTH."""

    def __init__(
        self,
        handler: Scripted,
        *,
        port: int | None = None,
        tls: ssl.SSLContext | None = None,
        login: Login | None = None,
        auth_require_tls: bool = False,
    ) -> None:
        self.handler = handler
        self.port = port or free_port()
        options: dict[str, Any] = {}
        if tls is not None:
            options["tls_context"] = tls
        if login is not None:
            options.update(authenticator=login, auth_require_tls=auth_require_tls)
        self._controller = Controller(
            handler, hostname="127.0.0.1", port=self.port, server_hostname="localhost", **options
        )

    def __enter__(self) -> ScriptedServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handler.release.set()
        self._controller.stop()
