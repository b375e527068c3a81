"""The in-process counter store: the shared cases, plus what only one process can show."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import pytest

from cloverleaf.governance.counters import (
    Charge,
    CounterStore,
    Limit,
    Unit,
    dollars_to_units,
    limit_to_units,
    units_to_dollars,
)
from cloverleaf.governance.counters_memory import MemoryCounters
from cloverleaf.governance.windows import parse_window
from tests.unit.counters_cases import (
    CASES,
    FakeClock,
    exactly_ten_of_fifty,
    rate_limit_window,
    requests,
)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_shared_case(case: Callable[[CounterStore, FakeClock], Coroutine[Any, Any, None]]) -> None:
    clock = FakeClock()
    asyncio.run(case(MemoryCounters(clock), clock))


def test_fifty_concurrent_requests_get_exactly_ten() -> None:
    asyncio.run(exactly_ten_of_fifty([MemoryCounters(FakeClock())]))


def test_rate_limit_five_per_minute() -> None:
    clock = FakeClock()
    asyncio.run(rate_limit_window([MemoryCounters(clock)], clock))


def test_money_is_integer_nano_dollars() -> None:
    # a charge rounds up, a limit down: rounding never lets spend past a budget
    assert dollars_to_units(Decimal("0.0000000001")) == 1
    assert limit_to_units(Decimal("0.0000000019")) == 1
    assert units_to_dollars(dollars_to_units(Decimal("12.345678901"))) == Decimal("12.345678901")


def test_what_no_store_can_do_is_rejected() -> None:
    limit = requests("vk:x:requests", 1)
    store = MemoryCounters(FakeClock())
    with pytest.raises(ValueError, match="charged twice"):
        asyncio.run(store.reserve("r", [Charge(limit, 1), Charge(limit, 1)]))
    with pytest.raises(ValueError, match="request id"):
        asyncio.run(store.reserve("", [Charge(limit, 1)]))
    with pytest.raises(ValueError, match="limit must be"):
        Limit("big", Unit.NANO_DOLLARS, 2**53 + 1, parse_window("1d"))
    with pytest.raises(ValueError, match="charge must be"):
        Charge(limit, -1)
