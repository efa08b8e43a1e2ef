"""Scale-out by processes: two workers on one task queue, one `kill -9`ed while it sends.

The survivor must take over what the dead one held (its workflow tasks once their sticky
queue times out, its sends once their heartbeat lapses): every lead still gets its first
mail once, and no event is lost or applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from tests.chaos.run import Run

WATCH_SECONDS = 10.0  # how long to wait for the victim to be inside a send
POLL = 0.005
RESTART_AFTER = 3.0  # the victim stays dead this long: the survivor works alone meanwhile


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process `pid` holds open."""
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def sending_ports(relay_port: int) -> dict[int, str]:
    """Local port -> socket inode of every loopback TCP connection to the relay."""
    ports: dict[int, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                local, remote, inode = cols[1], cols[2], cols[9]
                if int(remote.rsplit(":", 1)[1], 16) == relay_port:
                    ports[int(local.rsplit(":", 1)[1], 16)] = inode
    return ports


def in_data(run: Run, pid: int) -> bool:
    """Whether process `pid` has a mail inside DATA at the relay right now."""
    peers = set(run.relay.data_peers)
    if not peers:
        return False
    held = socket_inodes(pid)
    return any(
        inode in held for port, inode in sending_ports(run.relay.port).items() if port in peers
    )


async def kill_one_of_two(run: Run) -> None:
    """N leads (3 page views each) through two worker processes; `--kills` times, one of
    them (the other each time) is `kill -9`ed while one of its mails is in DATA, and started
    again a few seconds later. The relay takes 50 ms per message, as a remote one does."""
    await run.start()
    await run.stack.start_peer()
    run.relay.data_delay = 0.05
    count, kills = run.leads, run.options.kills or 4
    run.step(f"{count} leads on two workers, one killed mid-send {kills} times")
    traffic = asyncio.create_task(run.leads_with_events(count, "k2", 3))
    done = mid_send = 0
    for k in range(kills):
        await asyncio.sleep(run.rng.uniform(1.0, 3.0))
        if traffic.done():
            break
        victim = run.stack.worker if k % 2 == 0 else run.stack.peer
        assert victim is not None
        pid = victim.proc.pid
        deadline = asyncio.get_running_loop().time() + WATCH_SECONDS
        while not in_data(run, pid) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(POLL)
        caught = in_data(run, pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        mid_send += caught
        done += 1
        await asyncio.sleep(RESTART_AFTER)
        if k % 2 == 0:
            await run.restart_worker()
        else:
            await run.stack.kill_peer()  # reaps it
            await run.stack.start_peer()
    await traffic
    run.ledger.extras.update(kills=done, kills_in_data=mid_send)
    run.ledger.check(done == kills, f"only {done} of {kills} kills landed during the traffic")
    run.ledger.check(mid_send == done, f"only {mid_send} of {done} kills caught a send in DATA")
    run.step("settling")
    await run.settle(240)
