"""How far the worker got, read from the read model's SQLite file: a phase starts only once
the worker applied every event of the one before, so no phase pays for another's backlog."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

from ingest_stack import BenchError, Stack


def applied_events(db_path: Path) -> int:
    """How many events the worker has applied to the read model (one row per event)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        row = conn.execute("SELECT count(*) FROM lead_event").fetchone()
    return int(row[0])


async def wait_applied(stack: Stack, expected: int, timeout: float) -> float:
    """Wait until the worker applied `expected` events in all; seconds it took."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while True:
        count = await asyncio.to_thread(applied_events, stack.db_path)
        if count >= expected:
            return time.perf_counter() - t0
        stack.check_alive()
        if time.perf_counter() > deadline:
            raise BenchError(
                f"the worker applied {count} of {expected} events within {timeout:.0f} s"
            )
        await asyncio.sleep(0.05)


def read_model_fingerprint(db_path: Path) -> tuple[object, ...]:
    """Row counts of every table of the read model: unchanged = the worker is idle."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        counts = tuple(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    return counts


async def wait_quiet(stack: Stack, timeout: float, still: float = 1.5) -> None:
    """Wait until the read model has not changed for `still` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        stack.check_alive()
        now = await asyncio.to_thread(read_model_fingerprint, stack.db_path)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still:
            return
        await asyncio.sleep(0.1)
    raise BenchError(f"the worker was still busy after {timeout:.0f} s of setup")
