"""Child processes of `nurture dev` and the socket checks around them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path


class Child:
    """One started part: its process and the log file its output goes to."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        if self.log_path.exists():  # keep the previous run's log for after-the-fact reading
            self.log_path.replace(self.log_path.with_suffix(".log.1"))
        with self.log_path.open("wb") as out:
            # process_group=0: the terminal's Ctrl-C must not reach children before we order it.
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                process_group=0,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text("utf-8", "replace").splitlines()
        return "\n".join(f"    {line}" for line in text[-lines:]) or "    (empty log)"

    def stop(self, grace: float) -> None:
        """SIGTERM the child's group, then SIGKILL it if it lingers past `grace` seconds."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if not self.alive():
                return
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def port_free(host: str, port: int) -> bool:
    """Whether a server could bind `host:port` now (SO_REUSEADDR, as servers set it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def listening(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on `host:port` (port 0: nothing expected)."""
    if not port:
        return True
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
