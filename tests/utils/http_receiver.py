"""A real HTTP endpoint on 127.0.0.1 standing in for a CRM or Slack: it answers each POST as
scripted, can verify the signature as a real receiver would, can hold requests (a slow
receiver), and counts its keep-alive connections, so a test sees when the sender closes
them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from nurture import signing

NO_BODY = (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)


@dataclass(frozen=True)
class Received:
    status: int  # what the receiver answered
    headers: dict[str, str]
    body: bytes


class HttpReceiver:
    """Answers the POSTs with `statuses` in turn, then `otherwise` (each with the body
    `answer`); with a `secret`, a POST whose signature does not verify is answered 401.

    Use it as a context manager: it serves on a thread until the block ends.
    """

    def __init__(
        self,
        statuses: Iterable[int] = (),
        otherwise: int = HTTPStatus.NO_CONTENT,
        secret: str | None = None,
        answer: bytes = b"",
    ) -> None:
        self.statuses = list(statuses)
        self.answer = answer  # the body of every answer that has one (Slack says "ok")
        self.otherwise = otherwise
        self.secret = secret
        self.received: list[Received] = []
        self.arrived = threading.Event()  # set when a POST came in (before any hold)
        self.released = threading.Event()  # cleared by hold(): POSTs wait until it is set
        self.released.set()
        self.connections = 0  # accepted in all
        self._open = 0
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/handoffs"

    def hold(self) -> None:
        """Keep every POST waiting for its answer until `released` is set."""
        self.released.clear()

    def wait_all_closed(self, timeout: float) -> bool:
        """Whether every connection the sender opened is closed (waiting up to `timeout`)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._open == 0, timeout)

    def __enter__(self) -> HttpReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, headers: dict[str, str], signature: str | None, body: bytes) -> int:
        status = self.statuses.pop(0) if self.statuses else self.otherwise
        if self.secret is not None:
            try:
                signing.verify(signature, body, self.secret, tolerance=300)
            except signing.SignatureError:
                status = HTTPStatus.UNAUTHORIZED
        self.received.append(Received(status, headers, body))
        return status

    def _connected(self, change: int) -> None:
        with self._changed:
            self._open += change
            self.connections += max(change, 0)
            self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: only the sender closes a connection

            def setup(self) -> None:
                super().setup()
                receiver._connected(+1)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    receiver._connected(-1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.set()
                receiver.released.wait()
                signature = self.headers.get(signing.HEADER)
                status = receiver._answer(dict(self.headers), signature, body)
                try:
                    self.send_response(status)
                    reply = b"" if status in NO_BODY else receiver.answer
                    if status not in NO_BODY:
                        self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:  # the sender gave up waiting and hung up
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
