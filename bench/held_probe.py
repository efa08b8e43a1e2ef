"""What the held leads cost, read from outside the processes: resident memory of each part
(its whole process group, from /proc), the Temporal dev server's db file and the read model's
SQLite file (each with its WAL), the read model's rows, and whether the worker is idle."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ingest_read_model import read_model_fingerprint
from ingest_stack import BenchError, Stack

PAGE = os.sysconf("SC_PAGE_SIZE")
STILL_S = 2.0  # the read model unchanged this long after the last first mail: idle


def group_rss_bytes(pgid: int) -> int:
    """Resident memory of every process in process group `pgid` (a started part and any
    children it runs: each part is started in a group of its own)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # after the ")": state, ppid, pgrp
                continue
            rss_pages = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended between the listing and the read
        total += rss_pages * PAGE
    return total


def own_rss_bytes() -> int:
    """This process's resident memory (the benchmark, with the SMTP sink in it)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def file_bytes(path: Path) -> int:
    """A SQLite file's size with its write-ahead log and shared-memory index."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += path.with_name(path.name + suffix).stat().st_size
    return total


def wal_bytes(path: Path) -> int:
    """The write-ahead log alone: SQLite reuses it without shrinking it, so it is part of
    the disk a server holds but says little about growth per lead."""
    with contextlib.suppress(OSError):
        return path.with_name(path.name + "-wal").stat().st_size
    return 0


def table_rows(db_path: Path) -> dict[str, int]:
    """Rows per table of the read model (its Alembic bookkeeping left out)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if r[0] != "alembic_version" and not r[0].startswith("sqlite_")
        ]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def mailed_leads(db_path: Path) -> tuple[int, int]:
    """Leads stored, and leads whose first mail the worker has recorded as sent."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        leads = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        mailed = conn.execute(
            "SELECT count(DISTINCT lead_id) FROM email_message WHERE status = 'sent'"
        ).fetchone()[0]
    return int(leads), int(mailed)


@dataclass
class Sample:
    """One reading of the stack with `leads` held."""

    leads: int
    rss_mb: dict[str, float]
    temporal_db_mb: float  # with its WAL and shared-memory index
    temporal_wal_mb: float
    read_model_mb: float
    read_model_rows: dict[str, int]


def sample(stack: Stack, leads: int) -> Sample:
    mb = 1024 * 1024
    rss = {name: group_rss_bytes(pid) / mb for name, pid in stack.pids().items()}
    rss["bench"] = own_rss_bytes() / mb
    return Sample(
        leads=leads,
        rss_mb={k: round(v, 1) for k, v in rss.items()},
        temporal_db_mb=round(file_bytes(stack.temporal_db) / mb, 2) if stack.temporal_db else 0.0,
        temporal_wal_mb=round(wal_bytes(stack.temporal_db) / mb, 2) if stack.temporal_db else 0.0,
        read_model_mb=round(file_bytes(stack.db_path) / mb, 2),
        read_model_rows=table_rows(stack.db_path),
    )


async def wait_idle(stack: Stack, leads: int, timeout: float) -> float:
    """Wait until every one of `leads` stored leads has its first mail at the sink and
    recorded as sent, and the read model then stays still; seconds it took."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    last: tuple[object, ...] | None = None
    since = time.monotonic()
    while True:
        stack.check_alive()
        stored, mailed = await asyncio.to_thread(mailed_leads, stack.db_path)
        if stored >= leads and mailed >= stored and stack.sink.received_count >= stored:
            now = await asyncio.to_thread(read_model_fingerprint, stack.db_path)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= STILL_S:
                return time.monotonic() - t0 - STILL_S
        if time.monotonic() > deadline:
            raise BenchError(
                f"after {timeout:.0f} s: {stored} leads stored, {mailed} recorded as mailed, "
                f"{stack.sink.received_count} mails at the sink (expected {leads})"
            )
        await asyncio.sleep(0.5)
