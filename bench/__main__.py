"""``python -m bench``: gateway overhead against a static mock upstream, measured like RESULTS.md.

One run measures, per round: each case straight to the mock ("direct"), then each system under
test started fresh on its own core, at every connection count; then prints medians, "added"
latency over direct, throughput ratios and memory. See ``--help`` for the knobs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from bench import cases as bench_cases
from bench import procs, report, wrk
from bench import targets as bench_targets
from bench.cases import Case, with_headers
from bench.report import RunRecord, TargetRound
from bench.targets import DIRECT, Target

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
READY_TIMEOUT_S = 20.0
_DESCRIPTION = (
    "Gateway overhead over a static mock upstream, measured like shared/bench/RESULTS.md."
)


@dataclass(frozen=True, slots=True)
class Settings:
    duration_s: int
    warmup_s: int
    rounds: int
    connections: list[int]
    sut_cpu: int | None
    load_cpu: int | None


def _counts(text: str) -> list[int]:
    """``"1,64"`` -> ``[1, 64]`` for ``--connections``."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"want positive integers like 1,64, got {text!r}")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=_DESCRIPTION)
    parser.add_argument(
        "--target",
        choices=[*bench_targets.TARGETS, "all"],
        default="gateway",
        help="system(s) under test; 'all' = floor, gateway, then the gateway with a virtual "
        "key and a budget on every request (memory, then Redis counters) (default: gateway)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 s per run, 1 s warm-up, 1 round (explicit flags win)",
    )
    parser.add_argument("--duration", type=int, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before each run (default 2)")
    parser.add_argument("--rounds", type=int, help="rounds; the report shows medians (default 3)")
    parser.add_argument(
        "--connections",
        type=_counts,
        default=[1, 64],
        help="comma-separated wrk -c values (default 1,64)",
    )
    parser.add_argument(
        "--case",
        action="append",
        dest="cases",
        metavar="NAME",
        help=f"repeatable; default all of {[c.name for c in bench_cases.CASES]}",
    )
    parser.add_argument("--sut-cpu", type=int, default=1, help="core for the system under test")
    parser.add_argument("--load-cpu", type=int, default=0, help="core for wrk and the mock")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--no-json", action="store_true", help="do not write the JSON file")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    quick = args.quick

    def pick(value: int | None, normal: int, fast: int) -> int:
        chosen = value if value is not None else (fast if quick else normal)
        if chosen < 1:
            raise SystemExit(f"durations and rounds must be >= 1, got {chosen}")
        return chosen

    sut, load = _cpus(args.sut_cpu, args.load_cpu)
    return Settings(
        duration_s=pick(args.duration, 10, 2),
        warmup_s=pick(args.warmup, 2, 1),
        rounds=pick(args.rounds, 3, 1),
        connections=args.connections,
        sut_cpu=sut,
        load_cpu=load,
    )


def _cpus(sut: int, load: int) -> tuple[int | None, int | None]:
    """Pin only when both cores exist, differ and taskset is installed; else say why not."""
    usable = procs.usable_cpus()
    if sut == load or not {sut, load} <= usable or shutil.which("taskset") is None:
        print(
            f"warning: not pinning (cores {sorted(usable)}; want sut={sut} load={load} "
            "and taskset): figures are not comparable with RESULTS.md",
            file=sys.stderr,
        )
        return None, None
    return sut, load


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so every ``with`` stops its children."""
    del frame
    raise KeyboardInterrupt(f"signal {signum}")


def validate(port: int, case: Case, life: TargetRound) -> None:
    """Send the case once before loading it: a fast wrong answer must not pass as a result."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", case.path, body=case.body, headers=dict(case.headers))
        response = conn.getresponse()
        body = response.read()
    except OSError as exc:
        life.invalid[case.name] = f"request failed: {exc!r}"
        return
    finally:
        conn.close()
    why = f"HTTP {response.status}: {body[:200]!r}" if response.status != 200 else case.check(body)
    if why is not None:
        life.invalid[case.name] = why
        print(f"  r{life.round} {life.target} {case.name}: INVALID: {why}", file=sys.stderr)
    if case.note is not None and (note := case.note(body)) is not None:
        life.notes[case.name] = note


class Bench:
    """Holds the settings and collected records for one invocation."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.s = settings
        self.workdir = workdir
        self.runs: list[RunRecord] = []
        self.lives: list[TargetRound] = []

    def body_file(self, case: Case) -> Path:
        path = self.workdir / f"body-{case.name}.json"
        if not path.exists():
            path.write_bytes(case.body)
        return path

    def measure(self, rnd: int, name: str, pid: int, port: int, case: Case) -> None:
        """Warm up, then one measured wrk run per connection count; CPU read around each."""
        url = f"http://127.0.0.1:{port}{case.path}"
        body = self.body_file(case)
        for conns in self.s.connections:
            load = wrk.Load(url, body, case.headers, conns, self.s.load_cpu)
            wrk.run(load, self.s.warmup_s)
            cpu_before = procs.cpu_seconds(pid)
            result = wrk.run(load, self.s.duration_s)
            cpu = procs.cpu_seconds(pid) - cpu_before
            per_req = cpu * 1e6 / result.requests if result.requests else None
            reference = case.name if name == DIRECT else case.reference
            self.runs.append(RunRecord(rnd, name, case.name, reference, conns, result, per_req))
            print(
                f"  r{rnd} {name:8} {case.name:12} c={conns:<3} {result.rps:>9,.0f} req/s  "
                f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms  "
                f"errors {result.errors}",
                file=sys.stderr,
                flush=True,
            )

    def direct(self, rnd: int, mock: procs.Child, port: int, refs: list[Case]) -> None:
        life = TargetRound(rnd, DIRECT, idle_rss_kib=procs.memory_kib(mock.pid, "VmRSS"))
        self.lives.append(life)
        try:
            for case in refs:
                validate(port, case, life)
                self.measure(rnd, DIRECT, mock.pid, port, case)
        except KeyboardInterrupt:
            life.error = "interrupted"
            raise
        life.peak_rss_kib = procs.memory_kib(mock.pid, "VmHWM")

    def system(self, rnd: int, target: Target, upstream: str, chosen: list[Case]) -> None:
        """Start the target fresh, validate, load it, read peak RSS, stop it."""
        life = TargetRound(rnd, target.name)
        self.lives.append(life)
        scratch = self.workdir / f"{target.name}-r{rnd}"
        scratch.mkdir()
        port = procs.free_port()
        cmd = procs.pinned(target.command(port, upstream, scratch), self.s.sut_cpu)
        try:
            with procs.running(target.name, cmd, scratch / "server.log", REPO) as child:
                procs.wait_http_ok(child, port, target.health_path, READY_TIMEOUT_S)
                life.idle_rss_kib = procs.memory_kib(child.pid, "VmRSS")
                key = target.prepare(port) if target.prepare is not None else ()
                for case in (with_headers(c, key) for c in chosen):
                    if case.translated and not target.translates:
                        continue  # the floor only forwards bytes: it speaks no other dialect
                    validate(port, case, life)
                    self.measure(rnd, target.name, child.pid, port, case)
                child.check_alive()
                life.peak_rss_kib = procs.memory_kib(child.pid, "VmHWM")
        except (procs.StartError, wrk.WrkError, OSError) as exc:  # OSError: prepare failed
            life.error = str(exc)
            print(f"  r{rnd} {target.name}: FAILED: {exc}", file=sys.stderr)
        except KeyboardInterrupt:
            life.error = "interrupted"
            raise


@contextlib.contextmanager
def _mock(workdir: Path, cpu: int | None) -> Iterator[tuple[procs.Child, int]]:
    port = procs.free_port()
    cmd = procs.pinned([sys.executable, "-m", "bench.mock_upstream", "--port", str(port)], cpu)
    with procs.running("mock", cmd, workdir / "mock.log", REPO) as child:
        procs.wait_tcp(child, port, READY_TIMEOUT_S)
        yield child, port


def _meta(s: Settings, target: str, chosen: list[Case]) -> dict[str, Any]:
    def first_line(cmd: list[str]) -> str:
        """First line a tool prints (``wrk -v`` exits 1), or "" when it fails to run."""
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
        except OSError:
            return ""
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines and done.returncode in (0, 1) else ""

    return {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "target": target,
        "cases": [c.name for c in chosen],
        "duration_s": s.duration_s,
        "warmup_s": s.warmup_s,
        "rounds": s.rounds,
        "connections": s.connections,
        "sut_cpu": s.sut_cpu,
        "load_cpu": s.load_cpu,
        "python": platform.python_version(),
        "wrk": first_line([wrk.find_wrk(), "-v"]),
        "git": first_line(["git", "rev-parse", "--short", "HEAD"]),
        "cpus": os.cpu_count(),
    }


def _header(meta: dict[str, Any]) -> str:
    pin = (
        "unpinned"
        if meta["sut_cpu"] is None
        else f"system on core {meta['sut_cpu']}, wrk + mock on core {meta['load_cpu']}"
    )
    return (
        f"Cloverleaf bench {meta['started']}: {meta['rounds']} round(s) x {meta['duration_s']} s "
        f"(+{meta['warmup_s']} s warm-up), wrk -t1, {pin}.\n"
        "Latencies in ms (stream: the whole response); medians over rounds; "
        "'added' = system - direct in the same round; errors = socket errors + non-2xx, summed."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        wrk.find_wrk()
        chosen, refs = bench_cases.select(args.cases)
    except (wrk.WrkError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    s = settings_from(args)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    if s.load_cpu is not None:
        os.sched_setaffinity(0, {s.load_cpu})  # keep the orchestrator off the measured core
    meta = _meta(s, args.target, chosen)
    systems = bench_targets.select(args.target)
    with tempfile.TemporaryDirectory(prefix="cloverleaf-bench-") as tmp:
        bench = Bench(s, Path(tmp))
        interrupted = False
        try:
            with _mock(Path(tmp), s.load_cpu) as (mock, mock_port):
                upstream = f"http://127.0.0.1:{mock_port}"
                for rnd in range(1, s.rounds + 1):
                    bench.direct(rnd, mock, mock_port, refs)
                    for target in systems:
                        bench.system(rnd, target, upstream, chosen)
        except KeyboardInterrupt:
            interrupted = True
            print("\ninterrupted: every child stopped", file=sys.stderr)
        except (procs.StartError, wrk.WrkError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if not bench.runs:
        return 130 if interrupted else 1
    print(report.render(bench.runs, bench.lives, _header(meta)))
    if not args.no_json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_json(meta, bench.runs, bench.lives), indent=1))
        print(f"\nJSON: {args.json}")
    failed = any(life.error or life.invalid for life in bench.lives)
    return 130 if interrupted else 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
