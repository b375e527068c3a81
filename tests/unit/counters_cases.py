"""Behaviour every counter store must have, run against memory and Redis alike: each case takes
a fresh store and the fake clock that store reads."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cloverleaf.governance.counters import (
    Charge,
    CounterStore,
    Limit,
    Refusal,
    RefusalReason,
    Reservation,
    Unit,
    dollars_to_units,
    limit_to_units,
)
from cloverleaf.governance.windows import parse_window

#: a Friday, noon UTC
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC).timestamp()


class FakeClock:
    """The clock tests move by hand."""

    def __init__(self, start: float = NOON) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def budget(counter_id: str, dollars: str, duration: str = "1h", aligned: bool = False) -> Limit:
    window = parse_window(duration, aligned)
    return Limit(counter_id, Unit.NANO_DOLLARS, limit_to_units(Decimal(dollars)), window)


def requests(counter_id: str, maximum: int, duration: str = "1m") -> Limit:
    return Limit(counter_id, Unit.REQUESTS, maximum, parse_window(duration))


def tokens(counter_id: str, maximum: int, duration: str = "1h") -> Limit:
    return Limit(counter_id, Unit.TOKENS, maximum, parse_window(duration))


def cost(limit: Limit, dollars: str) -> Charge:
    return Charge(limit, dollars_to_units(Decimal(dollars)))


def granted(result: Reservation | Refusal) -> Reservation:
    assert isinstance(result, Reservation), result
    return result


def refused(result: Reservation | Refusal) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


async def exactly_ten_of_fifty(stores: list[CounterStore]) -> None:
    """50 concurrent requests, spread over the stores, against a budget that fits 10."""
    limit = budget("vk:exact:budget", "1.00")
    calls = [stores[i % len(stores)].reserve(f"req-{i}", [cost(limit, "0.10")]) for i in range(50)]
    results = await asyncio.gather(*calls)
    grants = [r for r in results if isinstance(r, Reservation)]
    assert len(grants) == 10
    refusals = [r for r in results if isinstance(r, Refusal)]
    assert {r.counter_id for r in refusals} == {"vk:exact:budget"}
    assert (await stores[0].current(limit)).used == limit.maximum


async def all_or_nothing(store: CounterStore, clock: FakeClock) -> None:
    key, team = budget("vk:a:budget", "10"), budget("team:t:budget", "1.00")
    granted(await store.reserve("r1", [cost(key, "0.80"), cost(team, "0.80")]))
    refusal = refused(await store.reserve("r2", [cost(key, "0.50"), cost(team, "0.50")]))
    assert refusal.reason is RefusalReason.LIMIT_EXCEEDED
    assert refusal.counter_id == "team:t:budget"
    assert refusal.retry_after_s == 3600  # the team's window opened at r1, an hour long
    assert (await store.current(key)).used == dollars_to_units(Decimal("0.80"))  # untouched


async def rate_limit_window(stores: list[CounterStore], clock: FakeClock) -> None:
    """5 per minute: the 6th is refused with the seconds left, the window reopens after."""
    limit = requests("vk:r:requests", 5)
    for i in range(5):
        granted(await stores[i % len(stores)].reserve(f"a{i}", [Charge(limit, 1)]))
        clock.advance(2)
    for store in stores:
        refusal = refused(await store.reserve("a-sixth", [Charge(limit, 1)]))
        assert refusal.counter_id == "vk:r:requests"
        assert refusal.retry_after_s == 50  # opened at +0s, now +10s
    clock.advance(50)
    granted(await stores[-1].reserve("a-next", [Charge(limit, 1)]))
    usage = await stores[0].current(limit)
    assert usage.used == 1 and usage.window_start == clock.now()


async def calendar_day(store: CounterStore, clock: FakeClock) -> None:
    """A `1d` calendar budget resets at midnight UTC, not a day after first use."""
    clock.t = NOON + 12 * 3600 - 30  # 23:59:30
    limit = budget("customer:c:budget", "1.00", "1d", aligned=True)
    granted(await store.reserve("d1", [cost(limit, "1.00")]))
    assert refused(await store.reserve("d2", [cost(limit, "0.01")])).retry_after_s == 30
    usage = await store.current(limit)
    assert usage.window_start == NOON - 12 * 3600 and usage.resets_at == NOON + 12 * 3600
    clock.advance(30)
    granted(await store.reserve("d3", [cost(limit, "0.01")]))
    assert (await store.current(limit)).used == dollars_to_units(Decimal("0.01"))


async def settle_refunds_and_overshoots(store: CounterStore, clock: FakeClock) -> None:
    money, toks = budget("vk:s:budget", "1.00"), tokens("vk:s:tokens", 10_000)
    first = granted(await store.reserve("s1", [cost(money, "0.50"), Charge(toks, 4000)]))
    assert await store.settle(first, 1000, Decimal("0.20"))
    assert (await store.current(money)).used == dollars_to_units(Decimal("0.20"))
    assert (await store.current(toks)).used == 1000
    assert not await store.settle(first, 9999, Decimal("0.90"))  # idempotent
    assert (await store.current(money)).used == dollars_to_units(Decimal("0.20"))
    # the real cost beat the estimate: charged anyway, the budget goes over by that difference
    second = granted(await store.reserve("s2", [cost(money, "0.70"), Charge(toks, 10)]))
    assert await store.settle(second, 20, Decimal("0.95"))
    assert (await store.current(money)).used == dollars_to_units(Decimal("1.15"))
    # over budget: even a request estimated at $0 waits for the window to end
    assert refused(await store.reserve("s3", [cost(money, "0")])).counter_id == "vk:s:budget"


async def release_refunds_everything(store: CounterStore, clock: FakeClock) -> None:
    money, limit = budget("vk:l:budget", "1.00"), requests("vk:l:requests", 1)
    held = granted(await store.reserve("l1", [cost(money, "1.00"), Charge(limit, 1)]))
    refused(await store.reserve("l2", [cost(money, "0.10"), Charge(limit, 1)]))
    assert await store.release(held)
    assert not await store.release(held)
    assert not await store.settle(held, 10, Decimal("0.50"))
    assert (await store.current(money)).used == 0 and (await store.current(limit)).used == 0
    granted(await store.reserve("l3", [cost(money, "0.10"), Charge(limit, 1)]))


async def retried_reserve_charges_once(store: CounterStore, clock: FakeClock) -> None:
    limit = requests("vk:i:requests", 2)
    first = granted(await store.reserve("same", [Charge(limit, 1)]))
    again = granted(await store.reserve("same", [Charge(limit, 1)]))
    assert again.window_starts == first.window_starts
    assert (await store.current(limit)).used == 1


async def settle_after_reset_leaves_new_window(store: CounterStore, clock: FakeClock) -> None:
    limit = budget("vk:w:budget", "1.00", "30s")
    late = granted(await store.reserve("w1", [cost(limit, "0.90")]))
    clock.advance(31)
    fresh = granted(await store.reserve("w2", [cost(limit, "0.90")]))
    assert fresh.window_starts[0] == clock.now()
    assert await store.settle(late, 0, Decimal("0.10"))  # the old window's refund is dropped
    assert (await store.current(limit)).used == dollars_to_units(Decimal("0.90"))


async def nothing_to_count_still_settles(store: CounterStore, clock: FakeClock) -> None:
    empty = granted(await store.reserve("free", []))
    assert empty.charges == ()
    assert await store.settle(empty, 10, Decimal("0"))
    assert not await store.settle(empty, 10, Decimal("0"))


async def unused_counter_reads_zero(store: CounterStore, clock: FakeClock) -> None:
    usage = await store.current(requests("vk:never:requests", 7))
    assert (usage.used, usage.limit, usage.window_start, usage.resets_at) == (0, 7, None, None)


CASES: list[Callable[[CounterStore, FakeClock], Coroutine[Any, Any, None]]] = [
    all_or_nothing,
    calendar_day,
    settle_refunds_and_overshoots,
    release_refunds_everything,
    retried_reserve_charges_once,
    settle_after_reset_leaves_new_window,
    nothing_to_count_still_settles,
    unused_counter_reads_zero,
]
