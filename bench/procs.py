"""Child processes for the benchmark: start pinned, wait until ready, measure, always stop.

Every child is started in its own session (so a Ctrl-C in the terminal reaches only us, and we
stop children in order) with a parent-death signal (so even a SIGKILLed bench leaves nothing
behind). Stopping is by PID only: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class StartError(RuntimeError):
    """A child exited or never became ready; the message carries the tail of its log."""


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (tiny race; fine on a quiet box)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(cmd: list[str], cpu: int | None) -> list[str]:
    """``cmd`` under ``taskset -c cpu``; taskset execs, so the PID stays the real process."""
    return cmd if cpu is None else ["taskset", "-c", str(cpu), *cmd]


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """A started process plus the log file its output goes to."""

    def __init__(self, name: str, cmd: list[str], log: Path, cwd: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - we start no threads
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, why: str) -> StartError:
        return StartError(f"{self.name}: {why}\n--- {self.log} (tail) ---\n{self.log_tail()}")

    def check_alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            raise self.fail(f"exited with code {code}")

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM, wait, then SIGKILL: only this PID, never by name."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def running(name: str, cmd: list[str], log: Path, cwd: Path) -> Iterator[Child]:
    """Start ``cmd`` and stop it on the way out, whatever happens in between."""
    child = Child(name, cmd, log, cwd)
    try:
        yield child
    finally:
        child.stop()


def wait_tcp(child: Child, port: int, timeout_s: float) -> None:
    """Block until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while True:
        child.check_alive()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if time.monotonic() > deadline:
            raise child.fail(f"port {port} not accepting after {timeout_s:.0f} s")
        time.sleep(0.05)


def wait_http_ok(child: Child, port: int, path: str, timeout_s: float) -> None:
    """Block until ``GET path`` answers 200."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while True:
        child.check_alive()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except OSError as exc:
            last = str(exc) or type(exc).__name__
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise child.fail(f"GET {path} not 200 after {timeout_s:.0f} s ({last})")
        time.sleep(0.1)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, so a supervisor + worker server is measured whole."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(entry.path, "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def memory_kib(pid: int, field: str) -> int:
    """Sum of a ``/proc/<pid>/status`` field (``VmRSS`` now, ``VmHWM`` peak) over the tree."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by the tree (clock-tick resolution)."""
    ticks = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / _CLOCK_TICKS


def usable_cpus() -> set[int]:
    return set(os.sched_getaffinity(0))
