"""Turn raw runs into the medians and tables we compare with shared/bench/RESULTS.md.

"Added" latency is computed per round (target minus the direct run of the same round and
settings) and then the median taken, so slow drift of the machine cancels out.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.targets import DIRECT
from bench.wrk import WrkResult

_MIB = 1024


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One measured wrk run (warm-up excluded)."""

    round: int
    target: str
    case: str
    reference: str  # the direct case this one is compared with
    connections: int
    wrk: WrkResult
    cpu_us_per_req: float | None  # the target process tree's CPU over the run / requests


@dataclass(slots=True)
class TargetRound:
    """One start-to-stop life of a system in one round."""

    round: int
    target: str
    idle_rss_kib: int = 0
    peak_rss_kib: int = 0
    error: str | None = None  # failed to start or to run
    invalid: dict[str, str] = field(default_factory=dict)  # case -> why the answer was wrong
    notes: dict[str, str] = field(default_factory=dict)  # case -> a legal but notable difference


@dataclass(frozen=True, slots=True)
class Row:
    """Medians over rounds for one (target, case, connections)."""

    target: str
    case: str
    connections: int
    rounds: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    rps: float
    rps_min: float
    rps_max: float
    added_p50_ms: float | None
    added_p99_ms: float | None
    rps_ratio_direct: float | None
    cpu_us_per_req: float | None
    errors: int


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def aggregate(runs: Sequence[RunRecord]) -> list[Row]:
    """One row per (target, case, connections), in first-seen order."""
    direct = {(r.round, r.case, r.connections): r.wrk for r in runs if r.target == DIRECT}
    groups: dict[tuple[str, str, int], list[RunRecord]] = {}
    for run in runs:
        groups.setdefault((run.target, run.case, run.connections), []).append(run)
    rows = []
    for (target, case, conns), group in groups.items():
        refs = [direct.get((r.round, r.reference, conns)) for r in group]
        added50 = [r.wrk.p50_ms - d.p50_ms if d else None for r, d in zip(group, refs, strict=True)]
        added99 = [r.wrk.p99_ms - d.p99_ms if d else None for r, d in zip(group, refs, strict=True)]
        rps = [r.wrk.rps for r in group]
        ref_rps = _median(d.rps if d else None for d in refs)
        rps_median = statistics.median(rps)
        rows.append(
            Row(
                target=target,
                case=case,
                connections=conns,
                rounds=len(group),
                p50_ms=statistics.median(r.wrk.p50_ms for r in group),
                p99_ms=statistics.median(r.wrk.p99_ms for r in group),
                p999_ms=statistics.median(r.wrk.p999_ms for r in group),
                rps=rps_median,
                rps_min=min(rps),
                rps_max=max(rps),
                added_p50_ms=None if target == DIRECT else _median(added50),
                added_p99_ms=None if target == DIRECT else _median(added99),
                rps_ratio_direct=rps_median / ref_rps if ref_rps else None,
                cpu_us_per_req=_median(r.cpu_us_per_req for r in group),
                errors=sum(r.wrk.errors for r in group),
            )
        )
    return rows


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 2) -> str:
    """A Markdown table padded for the terminal; the first ``left`` columns align left."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|".join(
        "-" * (w + 2) if i < left else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    )
    return "\n".join([line(headers), f"|{rule}|", *map(line, rows)])


def latency_table(rows: Sequence[Row]) -> str:
    headers = [
        "system",
        "case",
        "c",
        "p50 ms",
        "p99 ms",
        "added p50",
        "added p99",
        "req/s",
        "req/s min-max",
        "vs direct",
        "CPU µs/req",
        "errors",
    ]
    cells = [
        [
            r.target,
            r.case,
            str(r.connections),
            _ms(r.p50_ms),
            _ms(r.p99_ms),
            _ms(r.added_p50_ms),
            _ms(r.added_p99_ms),
            _num(r.rps),
            f"{r.rps_min:,.0f}-{r.rps_max:,.0f}" if r.rounds > 1 else "—",
            _ratio(r.rps_ratio_direct),
            _num(r.cpu_us_per_req),
            str(r.errors),
        ]
        for r in rows
    ]
    return table(headers, cells, left=3)


def ratio_table(rows: Sequence[Row], reference: str | None) -> str:
    """RPS ÷ direct (and ÷ ``reference``, e.g. the floor) per connection count."""
    conns = sorted({r.connections for r in rows})
    by_key = {(r.target, r.case, r.connections): r for r in rows}
    headers = ["system", "case"] + [f"c={c} vs direct" for c in conns]
    if reference:
        headers += [f"c={c} vs {reference}" for c in conns]
    cells = []
    for target, case in dict.fromkeys((r.target, r.case) for r in rows if r.target != DIRECT):
        line = [target, case]
        mine = [by_key.get((target, case, c)) for c in conns]
        line += [_ratio(m.rps_ratio_direct if m else None) for m in mine]
        if reference:
            refs = [by_key.get((reference, case, c)) for c in conns]
            line += [
                _ratio(m.rps / f.rps if m and f and f.rps else None)
                for m, f in zip(mine, refs, strict=True)
            ]
        cells.append(line)
    return table(headers, cells)


def memory_table(lives: Sequence[TargetRound]) -> str:
    """Median idle and peak RSS per system (MiB, whole process tree)."""
    cells = []
    for name in dict.fromkeys(life.target for life in lives):
        mine = [life for life in lives if life.target == name]
        ok = [life for life in mine if life.error is None]
        failed = sum(1 for life in mine if life.error and life.error != "interrupted")
        invalid = sum(len(life.invalid) for life in mine)
        status = [f"{failed} failed"] if failed else []
        status += [f"{invalid} invalid"] if invalid else []
        status += ["interrupted"] if len(ok) + failed < len(mine) else []
        idle = _median(life.idle_rss_kib / _MIB for life in ok)
        peak = _median(life.peak_rss_kib / _MIB for life in ok)
        cells.append([name, _num(idle, 1), _num(peak, 1), ", ".join(status) or "ok"])
    return table(["system", "RSS idle MiB", "RSS peak MiB", "status"], cells, left=1)


def render(runs: Sequence[RunRecord], lives: Sequence[TargetRound], header: str) -> str:
    rows = aggregate(runs)
    reference = "floor" if any(r.target == "floor" for r in rows) else None
    if reference and all(r.target in (DIRECT, reference) for r in rows):
        reference = None
    parts = [header, "", latency_table(rows), ""]
    if any(r.target != DIRECT for r in rows):
        parts += [
            "Ratios: the system's req/s ÷ the reference's req/s",
            "",
            ratio_table(rows, reference),
            "",
        ]
    parts.append(memory_table(lives))
    problems = [f"- round {life.round} {life.target}: {life.error}" for life in lives if life.error]
    problems += [
        f"- round {life.round} {life.target} {case}: INVALID answer: {why}"
        for life in lives
        for case, why in life.invalid.items()
    ]
    if problems:
        parts += ["", "Problems:", *problems]
    notes = {
        f"- {life.target} {case}: {note}" for life in lives for case, note in life.notes.items()
    }
    if notes:
        parts += ["", "Notes:", *sorted(notes)]
    return "\n".join(parts)


def to_json(
    meta: dict[str, Any], runs: Sequence[RunRecord], lives: Sequence[TargetRound]
) -> dict[str, Any]:
    return {
        "meta": meta,
        "rows": [asdict(r) for r in aggregate(runs)],
        "systems": [asdict(life) for life in lives],
        "runs": [asdict(r) for r in runs],
    }
