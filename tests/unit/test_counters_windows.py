"""`reset_duration` parsing and where windows start and end, rolling and calendar-aligned."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloverleaf.governance.windows import parse_window


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("duration", "seconds", "months"),
    [
        ("30s", 30, 0),
        ("5m", 300, 0),
        ("1h", 3600, 0),
        ("1d", 86_400, 0),
        ("1w", 604_800, 0),
        ("1h30m", 5400, 0),
        ("1M", 0, 1),
        ("3M", 0, 3),
        ("1Y", 0, 12),
    ],
)
def test_durations(duration: str, seconds: int, months: int) -> None:
    window = parse_window(duration)
    assert (window.seconds, window.months) == (seconds, months)


@pytest.mark.parametrize("duration", ["", "0s", "1", "h", "1x", "1y", "-1d", "1.5h", "1M1d"])
def test_invalid_durations_say_what_is_accepted(duration: str) -> None:
    with pytest.raises(ValueError, match="reset duration"):
        parse_window(duration)


@pytest.mark.parametrize("duration", ["30s", "5m", "1h", "1h30m"])
def test_sub_day_windows_cannot_be_calendar_aligned(duration: str) -> None:
    with pytest.raises(ValueError, match="cannot be calendar aligned"):
        parse_window(duration, calendar_aligned=True)


def test_rolling_windows_start_now() -> None:
    now = at(2026, 12, 4, 15, 7)
    assert parse_window("30s").bounds(now) == (now, now + 30)
    assert parse_window("1w").bounds(now) == (now, now + 604_800)


def test_rolling_months_clamp_the_day() -> None:
    assert parse_window("1M").bounds(at(2026, 1, 31, 10))[1] == at(2026, 2, 28, 10)
    assert parse_window("1M").bounds(at(2028, 1, 31, 10))[1] == at(2028, 2, 29, 10)
    assert parse_window("1Y").bounds(at(2028, 2, 29))[1] == at(2029, 2, 28)
    assert parse_window("2M").bounds(at(2026, 12, 15))[1] == at(2027, 2, 15)


@pytest.mark.parametrize(
    ("duration", "now", "start", "end"),
    [
        ("1d", at(2026, 12, 4, 15, 7), at(2026, 12, 4), at(2026, 12, 5)),
        ("1d", at(2026, 12, 4), at(2026, 12, 4), at(2026, 12, 5)),
        ("1w", at(2026, 12, 4, 15), at(2026, 11, 30), at(2026, 12, 7)),  # Friday → Monday
        ("1w", at(2026, 11, 30), at(2026, 11, 30), at(2026, 12, 7)),
        ("1M", at(2026, 12, 31, 23, 59), at(2026, 12, 1), at(2027, 1, 1)),
        ("1M", at(2028, 2, 29, 12), at(2028, 2, 1), at(2028, 3, 1)),
        ("3M", at(2026, 12, 4), at(2026, 10, 1), at(2027, 1, 1)),  # quarters
        ("1Y", at(2026, 7, 1), at(2026, 1, 1), at(2027, 1, 1)),
    ],
)
def test_calendar_windows_align_in_utc(duration: str, now: float, start: float, end: float) -> None:
    assert parse_window(duration, calendar_aligned=True).bounds(now) == (start, end)
