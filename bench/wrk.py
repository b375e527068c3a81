"""Run wrk (one thread, closed loop) and turn its output into numbers.

The figures come from ``post.lua``'s ``done()`` hook, which prints one ``WRK_JSON`` line with
wrk's own histogram percentiles and error counters, so nothing depends on wrk's
human-oriented text layout (``--latency`` is still passed so a raw log reads like RESULTS.md's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("post.lua")
_MARKER = "WRK_JSON "


class WrkError(RuntimeError):
    """wrk did not run or printed no summary."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One wrk run. Latencies in ms; ``socket_errors`` = connect + read + write + timeout."""

    requests: int
    duration_s: float
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int  # wrk counts status > 399; 3xx would slip through, and nothing here redirects

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx


def find_wrk() -> str:
    """Path of wrk, or a clear error naming the install command the Makefile uses."""
    path = shutil.which("wrk")
    if path is None:
        raise WrkError("wrk not found: apt-get update -qq && apt-get install -y -qq wrk")
    return path


@dataclass(frozen=True, slots=True)
class Load:
    """What wrk sends and how hard: one URL, one body file, fixed headers, N connections."""

    url: str
    body_file: Path
    headers: tuple[tuple[str, str], ...]
    connections: int
    cpu: int | None  # pin wrk with taskset when given


def command(load: Load, duration_s: int) -> list[str]:
    """The wrk command line (one thread, closed loop)."""
    cmd = ["taskset", "-c", str(load.cpu)] if load.cpu is not None else []
    cmd += [find_wrk(), "-t1", f"-c{load.connections}", f"-d{duration_s}s", "--latency"]
    cmd += ["--timeout", "10s", "-s", str(LUA_SCRIPT), load.url, "--", str(load.body_file)]
    return cmd + [f"{name}: {value}" for name, value in load.headers]


def run(load: Load, duration_s: int) -> WrkResult:
    """Run one load phase and parse it; raises ``WrkError`` with wrk's output when it fails."""
    cmd = command(load, duration_s)
    try:
        done = subprocess.run(
            cmd, check=False, capture_output=True, text=True, timeout=duration_s + 60
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk hung: {' '.join(cmd)}") from exc
    try:
        return parse(done.stdout)
    except WrkError as exc:
        raise WrkError(f"{exc} (exit {done.returncode}): {done.stdout}{done.stderr}") from None


def parse(stdout: str) -> WrkResult:
    """Read the ``WRK_JSON`` line printed by ``post.lua``'s ``done()``."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(_MARKER)), None)
    if line is None:
        raise WrkError("no WRK_JSON summary in wrk output")
    raw = json.loads(line[len(_MARKER) :])
    seconds = raw["duration_us"] / 1e6
    return WrkResult(
        requests=raw["requests"],
        duration_s=seconds,
        rps=raw["requests"] / seconds if seconds else 0.0,
        mean_ms=raw["mean_us"] / 1000,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        non_2xx=raw["status"],
    )
