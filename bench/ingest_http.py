"""The ingest benchmark's HTTP client: keep-alive HTTP/1.1 on asyncio streams, cheap enough
in CPU that the benchmark process does not take the API's share of a small machine."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    httpx costs this process ~3 ms of CPU per request (measured here: one core saturated at
    ~250-330 req/s against a bare 404), which on a 2-core machine would take CPU from the API
    being measured. This speaks just enough HTTP/1.1 for uvicorn's answers (Content-Length
    or chunked bodies) at a fraction of that cost.
    """

    IDLE_REOPEN_SECONDS = 2.0  # uvicorn closes idle keep-alive connections after 5 s

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        stale = time.monotonic() - self._last_used > self.IDLE_REOPEN_SECONDS
        if self._writer is None or stale or self._writer.is_closing():
            await self.close()
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            data = await self._reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            data = await self._read_chunked(self._reader)
        else:
            data = await self._reader.read()
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            await self.close()
        self._last_used = time.monotonic()
        return Reply(status, data)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


class HttpPool:
    """Up to `size` keep-alive connections, each carrying one request at a time."""

    def __init__(self, base_url: str, size: int) -> None:
        address = base_url.removeprefix("http://").rstrip("/")
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self._idle: list[HttpConnection] = []
        self._all: list[HttpConnection] = []
        self._free = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        async with self._free:
            conn = self._idle.pop() if self._idle else self._new()
            try:
                reply = await conn.request(method, path, body, headers)
            except BaseException:
                await conn.close()  # never reuse a connection in an unknown state
                raise
            self._idle.append(conn)
            return reply

    def _new(self) -> HttpConnection:
        conn = HttpConnection(self.host, self.port)
        self._all.append(conn)
        return conn

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return await self.request("GET", path, headers=headers)

    async def post_json(self, path: str, payload: Any, headers: dict[str, str]) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return await self.request(
            "POST", path, body, {**headers, "Content-Type": "application/json"}
        )

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
