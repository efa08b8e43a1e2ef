"""CPU used by each part of the ingest benchmark, read from /proc: the benchmark itself,
Temporal, the worker, the API, everything else on the machine, and the hypervisor's steal
(a busy neighbour makes the rates noisy, and the report says so)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from ingest_stack import Stack

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its reaped children) from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the ")": state is fields[0]; utime, stime, cutime, cstime are fields 11..14
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds all processes on the machine used, and the hypervisor's steal, from the
    `cpu` line of /proc/stat."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (ticks + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    seconds: dict[str, float]


class CpuMeter:
    """CPU seconds of each part (bench, temporal, worker, api), of everything else on the
    machine (`other`), and stolen by the hypervisor (`steal`): either makes the rates noisy,
    and the report says so."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def snapshot(self) -> CpuSnapshot:
        now = {name: cpu_seconds(pid) for name, pid in self.stack.pids().items()}
        now["bench"] = own_cpu_seconds()
        now["machine"], now["steal"] = machine_busy_seconds()
        return CpuSnapshot(time.perf_counter(), now)

    @staticmethod
    def used(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """CPU seconds per part between two snapshots."""
        used = {k: b.seconds[k] - a.seconds.get(k, 0.0) for k in b.seconds}
        machine, steal = used.pop("machine"), used.pop("steal")
        used["other"] = max(0.0, machine - sum(used.values()))
        used["steal"] = steal
        return used

    @classmethod
    def percent(cls, a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """% of one core per part between two snapshots."""
        wall = max(b.at - a.at, 1e-9)
        return {k: round(100 * v / wall) for k, v in cls.used(a, b).items()}
