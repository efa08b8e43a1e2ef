"""The SMTP relay the harness controls: a real aiosmtpd server in a thread of this process.

It can accept, refuse connections (stopped), answer 421/451 for a while, refuse one address
with 550, require AUTH, hold DATA open, and fire a one-shot hook during DATA (before the
250) or right after the 250: the two moments at which a dying worker cannot know whether
its mail went. A message whose sender died before the 250 is dropped (aiosmtpd cancels
the session's handler when the connection goes), as a relay that never queued it would.
Every accepted message is counted by Message-ID, the key nurture keeps the same across
every retry of one mail, so a count above one is a duplicate delivery.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from nurture.mailsink import parse
from tests.utils.smtp_servers import Scripted

LOOPBACK = "127.0.0.1"
TEMPORARY = ("421 4.3.2 Service not available, try later", "451 4.3.0 Local error, try later")
AFTER_250 = "after-250"
DURING_DATA = "during-data"


@dataclass(frozen=True)
class Receipt:
    """One message the relay accepted (no addresses: only what counting needs)."""

    message_id: str
    at: float


class Relay(Scripted):
    """aiosmtpd handler and its controller; every knob may be turned from any thread."""

    def __init__(self, port: int, credentials: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.port = port
        self.credentials = credentials
        self.refused: set[str] = set()  # recipients answered 550
        self.data_delay = 0.0  # seconds each DATA is held before its answer
        self.in_data = 0  # sessions inside DATA right now
        self.data_peers: set[int] = set()  # their senders' source ports
        self.auth_failures = 0
        self.temporary_replies = 0
        self._temporary_until = 0.0
        self._receipts: list[Receipt] = []
        self._hooks: dict[str, Callable[[], None]] = {}
        self.hits: list[tuple[str, str]] = []  # (moment, Message-ID) of each hook that fired
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- control -----------------------------------------------------------------------

    def start(self) -> Relay:
        # aiosmtpd logs every recipient at INFO (personal data) and warns about AUTH on
        # plain loopback connections, which is what we mean here.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        extra: dict[str, Any] = {}
        if self.credentials is not None:
            extra = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(self, hostname=LOOPBACK, port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Connections are refused until `start()` again (same port)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_temporarily(self, seconds: float) -> None:
        """Answer 421 (at MAIL) and 451 (at RCPT), alternately, for `seconds`."""
        self._temporary_until = time.monotonic() + seconds

    def arm(self, moment: str, action: Callable[[], None]) -> threading.Event:
        """Run `action` once, at the next message's `moment` (AFTER_250 or DURING_DATA)."""
        fired = threading.Event()

        def hook() -> None:
            action()
            fired.set()

        with self._lock:
            self._hooks[moment] = hook
        return fired

    def disarm(self) -> None:
        with self._lock:
            self._hooks.clear()

    # --- what arrived --------------------------------------------------------------------

    @property
    def receipts(self) -> list[Receipt]:
        with self._lock:
            return list(self._receipts)

    def counts(self) -> Counter[str]:
        """How many times each Message-ID was accepted."""
        return Counter(r.message_id for r in self.receipts)

    # --- SMTP handlers -----------------------------------------------------------------------

    def _temporary(self) -> str | None:
        if time.monotonic() >= self._temporary_until:
            return None
        self.temporary_replies += 1
        return TEMPORARY[self.temporary_replies % 2]  # 421 at MAIL, then 451 at RCPT

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self._temporary()
        if reply == TEMPORARY[0]:
            return reply
        envelope.chaos_451 = reply is not None  # this transaction's RCPT answers 451
        return await super().handle_MAIL(server, session, envelope, address, options)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if getattr(envelope, "chaos_451", False):
            return TEMPORARY[1]
        if address.lower() in self.refused:
            return "550 5.1.1 Recipient address rejected: no such user"
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_data += 1
        port = int(session.peer[1])
        self.data_peers.add(port)
        try:
            if self.data_delay:
                await asyncio.sleep(self.data_delay)
            during = self._take(DURING_DATA)
            if during is not None:
                self.hits.append((DURING_DATA, _message_id(envelope)))
                during()  # the sender dies before the 250: this relay then drops the message
                await asyncio.sleep(0.2)
                return "451 4.3.0 Connection lost during DATA"
            reply = await super().handle_DATA(server, session, envelope)
            message_id = str(self.accepted[-1].get("Message-ID", "")).strip()
            with self._lock:
                self._receipts.append(Receipt(message_id, time.time()))
            after = self._take(AFTER_250)
            if after is not None:
                # Runs as soon as this session yields, i.e. once the 250 is written: between
                # the relay's acceptance and the sender recording it (a 1 ms timer missed
                # that window 8 times in 10: the worker records within about a millisecond).
                self.hits.append((AFTER_250, message_id))
                asyncio.get_running_loop().call_soon(after)
            return reply
        finally:
            self.in_data -= 1
            self.data_peers.discard(port)

    def _take(self, moment: str) -> Callable[[], None] | None:
        with self._lock:
            return self._hooks.pop(moment, None)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.credentials is not None and isinstance(auth_data, LoginPassword):
            user, password = self.credentials
            if auth_data.login.decode() == user and auth_data.password.decode() == password:
                return AuthResult(success=True)
        self.auth_failures += 1
        return AuthResult(success=False, handled=False)


def _message_id(envelope: Any) -> str:
    return str(parse(envelope.original_content or envelope.content or b"").get("Message-ID", ""))
