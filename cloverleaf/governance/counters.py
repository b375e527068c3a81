"""The counter store seam: what the request path calls to charge budgets and rate limits before
the upstream call and to settle them after, whichever store (memory, Redis) is behind it.

A request charges several counters at once — its virtual key, provider config, team, customer,
model config, provider governance — and `reserve` checks and charges all of them in one atomic
step: either every counter takes its charge or none does. Amounts are integers: requests,
tokens, or nano-dollars (money never passes through a float). `settle` replaces the reserved
amounts by the real ones; when the real cost exceeds the estimate the difference is charged even
if it takes a budget past its limit, so a budget can be overspent by at most what the upstream
returned beyond the estimate of the requests in flight — never by concurrency.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Protocol

from cloverleaf.governance.windows import Window

NANOS_PER_DOLLAR = 10**9
#: the Redis script compares amounts as Lua doubles, exact up to 2**53: $9,007,199 in nano-dollars
MAX_UNITS = 2**53


class Unit(enum.Enum):
    """What a counter counts; decides which actual quantity `settle` puts in its place."""

    REQUESTS = "r"  # a request counts once, settled or not (`release` refunds it)
    TOKENS = "t"  # replaced by the actual tokens
    NANO_DOLLARS = "d"  # replaced by the actual cost


class RefusalReason(enum.Enum):
    LIMIT_EXCEEDED = "limit_exceeded"  # → 429 with Retry-After
    STORE_UNAVAILABLE = "store_unavailable"  # → 503: Redis unreachable under the `refuse` policy
    DUPLICATE_REQUEST = "duplicate_request"  # this request id was already settled or released


class CountersUnavailable(Exception):
    """The counter store cannot be read (Redis unreachable): usage readouts answer 503."""


def dollars_to_units(amount: Decimal) -> int:
    """A cost in dollars → nano-dollars, rounded up: a charge never undercounts."""
    return int((amount * NANOS_PER_DOLLAR).to_integral_value(rounding=ROUND_CEILING))


def limit_to_units(amount: Decimal) -> int:
    """A budget in dollars → nano-dollars, rounded down: a limit never grows by rounding."""
    return int((amount * NANOS_PER_DOLLAR).to_integral_value(rounding=ROUND_FLOOR))


def units_to_dollars(units: int) -> Decimal:
    return Decimal(units) / NANOS_PER_DOLLAR


@dataclass(frozen=True, slots=True)
class Limit:
    """One counter: its id (namespaced by the caller, e.g. `vk:<id>:budget`, `team:<id>:tokens`),
    what it counts, its maximum per window, and the window."""

    counter_id: str
    unit: Unit
    maximum: int
    window: Window

    def __post_init__(self) -> None:
        if not self.counter_id:
            raise ValueError("a counter needs an id")
        if not 0 <= self.maximum <= MAX_UNITS:
            raise ValueError(f"counter {self.counter_id}: limit must be within 0..{MAX_UNITS}")


@dataclass(frozen=True, slots=True)
class Charge:
    """What one request asks of one counter: 1 request, the estimated tokens, or the
    worst-case cost in nano-dollars."""

    limit: Limit
    amount: int

    def __post_init__(self) -> None:
        if not 0 <= self.amount <= MAX_UNITS:
            raise ValueError(
                f"counter {self.limit.counter_id}: charge must be within 0..{MAX_UNITS}"
            )


@dataclass(frozen=True, slots=True)
class Reservation:
    """A granted reservation: keep it for `settle`/`release`. `window_starts[i]` is the start of
    the window `charges[i]` went into; an adjustment after that window ended is dropped (its
    count is gone with it). `local` marks one taken by the memory fallback of the Redis store."""

    request_id: str
    charges: tuple[Charge, ...]
    window_starts: tuple[float, ...]
    local: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request may not go upstream: the (first) counter that would be exceeded and the
    whole seconds until every exceeded counter resets (the `Retry-After` value)."""

    reason: RefusalReason
    message: str
    counter_id: str | None = None
    retry_after_s: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    """A counter's live state for list endpoints and the quota endpoint; no open window (never
    used, or the last one ended) reads as zero with no start or reset time."""

    used: int
    limit: int
    window_start: float | None
    resets_at: float | None


class CounterStore(Protocol):
    """Counters for budgets and rate limits. Implementations: `MemoryCounters` (one process),
    `RedisCounters` (several instances)."""

    async def reserve(self, request_id: str, charges: Sequence[Charge]) -> Reservation | Refusal:
        """Check and charge every counter atomically, or none. Retrying with the same request id
        while the reservation is open returns it without charging twice."""
        ...

    async def settle(
        self, reservation: Reservation, actual_tokens: int, actual_cost: Decimal
    ) -> bool:
        """Replace the reserved tokens and cost by the actual ones; False when it was already
        settled/released (idempotent) or could not be applied."""
        ...

    async def release(self, reservation: Reservation) -> bool:
        """Refund everything (the request never used the upstream); idempotent like `settle`."""
        ...

    async def current(self, limit: Limit) -> Usage: ...

    async def health(self) -> str:
        """`ok`, or what is wrong and which policy applies, for `/health`."""
        ...

    async def aclose(self) -> None: ...


def check_request(request_id: str, charges: Sequence[Charge]) -> None:
    """Reject what no store can do atomically: no request id, one counter charged twice."""
    if not request_id:
        raise ValueError("a reservation needs a request id")
    if len(charges) < 2:
        return
    ids = [charge.limit.counter_id for charge in charges]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a counter is charged twice in one request: {sorted(ids)}")


def actual_amount(charge: Charge, actual_tokens: int, actual_units: int) -> int:
    """What a charge becomes once the request is over."""
    if charge.limit.unit is Unit.TOKENS:
        return actual_tokens
    if charge.limit.unit is Unit.NANO_DOLLARS:
        return actual_units
    return charge.amount


def retry_after(end: float, now: float) -> int:
    """Whole seconds until `end`, at least 1 (a `Retry-After` of 0 invites a busy loop)."""
    return max(1, math.ceil(end - now))


def limit_refusal(counter_id: str, retry_s: int) -> Refusal:
    return Refusal(
        RefusalReason.LIMIT_EXCEEDED,
        f"limit reached for {counter_id}; resets in {retry_s}s",
        counter_id,
        retry_s,
    )
