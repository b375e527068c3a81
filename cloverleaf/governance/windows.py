"""Reset windows for budgets and rate limits: `reset_duration` strings (Bifrost's `30s`, `5m`,
`1h`, `1d`, `1w`, `1M`, `1Y`, and compounds of fixed units such as `1h30m`) and where a window
starts and ends at a given instant.

Two kinds of window, both fixed (not sliding):

- rolling: starts at the first use after the previous window ended and lasts the duration
  (months and years are calendar months/years from that instant, the day clamped: Jan 31 + 1M =
  Feb 28/29);
- calendar-aligned (UTC; only `d`, `w`, `M`, `Y`): the period containing the instant — days from
  00:00, weeks from Monday 00:00, months from the 1st, years from Jan 1. A count above one groups
  periods from a fixed origin (1970-01-01, the Monday 1970-01-05, January 1970, year 0), so `2d`
  windows are the same for every instance without coordination.

Time is a float of Unix seconds from an injectable `Clock`, so tests drive it without sleeping.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

FIXED_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
CALENDAR_UNITS = frozenset({"d", "w", "M", "Y"})
_DAY = 86_400
_WEEK = 604_800
#: 1970-01-01 was a Thursday; the first Monday is four days later
_FIRST_MONDAY = 4 * _DAY
_MONTHLY = re.compile(r"([1-9][0-9]{0,3})([MY])")
_FIXED_PART = re.compile(r"([0-9]{1,7})([smhdw])")


class Clock(Protocol):
    """Where counters read the time: Unix seconds as a float."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock (UTC seconds since the epoch): windows are shared across instances, so
    they need a clock every instance agrees on, not a monotonic one."""

    def now(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class Window:
    """A parsed `reset_duration` (+ `calendar_aligned`): either a fixed number of seconds or a
    number of calendar months."""

    duration: str
    seconds: int  # 0 for month/year windows
    months: int  # 0 for fixed windows
    unit: str  # the single unit ("s".."Y"), or "" for a compound like 1h30m
    calendar_aligned: bool = False

    def bounds(self, now: float) -> tuple[float, float]:
        """Start and end of the window that would be current at `now` if none were open: for a
        rolling window one starting now, for a calendar window the period containing now."""
        if not self.calendar_aligned:
            if self.months:
                return now, _add_months(now, self.months)
            return now, now + self.seconds
        if self.unit == "d":
            span = self.seconds
            start = (now // span) * span
            return start, start + span
        if self.unit == "w":
            span = self.seconds
            start = _FIRST_MONDAY + ((now - _FIRST_MONDAY) // span) * span
            return start, start + span
        moment = datetime.fromtimestamp(now, UTC)
        index = (moment.year * 12 + moment.month - 1) // self.months * self.months
        start = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).timestamp()
        return start, _add_months(start, self.months)


def parse_window(duration: str, calendar_aligned: bool = False) -> Window:
    """`reset_duration` → `Window`; a `ValueError` names what is wrong (the management API
    reports it as a 400)."""
    text = duration.strip()
    monthly = _MONTHLY.fullmatch(text)
    if monthly:
        count, unit = int(monthly.group(1)), monthly.group(2)
        months = count * (12 if unit == "Y" else 1)
        return Window(duration, 0, months, unit, calendar_aligned)
    parts = _FIXED_PART.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text:
        raise ValueError(
            f"invalid reset duration {duration!r}: expected a number and a unit "
            "(s, m, h, d, w, M, Y), e.g. 30s, 5m, 1h, 1d, 1w, 1M, 1Y"
        )
    seconds = sum(int(n) * FIXED_UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"invalid reset duration {duration!r}: must be longer than zero")
    unit = parts[0][1] if len(parts) == 1 else ""
    if calendar_aligned and unit not in CALENDAR_UNITS:
        raise ValueError(
            f"reset duration {duration!r} cannot be calendar aligned: only d, w, M and Y "
            "durations can"
        )
    return Window(duration, seconds, 0, unit, calendar_aligned)


def _add_months(instant: float, months: int) -> float:
    """`instant` plus whole calendar months in UTC, the day clamped to the target month."""
    moment = datetime.fromtimestamp(instant, UTC)
    index = moment.year * 12 + moment.month - 1 + months
    year, month = index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).timestamp()
