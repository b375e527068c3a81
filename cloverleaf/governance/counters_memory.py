"""Counters in this process: exact for one instance with one worker (the embedded default).

Every method runs its check-and-charge without awaiting anything, so on one event loop no other
task can interleave: the critical section is the synchronous body, and no lock is ever held
across an await.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cloverleaf.governance.counters import (
    Charge,
    Limit,
    Refusal,
    Reservation,
    Usage,
    actual_amount,
    check_request,
    dollars_to_units,
    limit_refusal,
    retry_after,
)
from cloverleaf.governance.windows import Clock, SystemClock


@dataclass(slots=True)
class _Slot:
    start: float
    end: float
    used: int


class MemoryCounters:
    """`CounterStore` held in a dict. Settle/release are idempotent while the process lives:
    a reservation is settled once, later calls are no-ops."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._slots: dict[str, _Slot] = {}
        self._open: dict[str, Reservation] = {}

    async def reserve(self, request_id: str, charges: Sequence[Charge]) -> Reservation | Refusal:
        return self.reserve_now(request_id, charges)

    def reserve_now(self, request_id: str, charges: Sequence[Charge]) -> Reservation | Refusal:
        """The synchronous critical section (also the Redis store's `allow_local` fallback)."""
        check_request(request_id, charges)
        existing = self._open.get(request_id)
        if existing is not None:
            return existing
        now = self._clock.now()
        slots = [self._live_slot(charge.limit, now) for charge in charges]
        refused: str | None = None
        wait = 0
        for charge, slot in zip(charges, slots, strict=True):
            if slot.used + charge.amount > charge.limit.maximum:
                refused = refused or charge.limit.counter_id
                wait = max(wait, retry_after(slot.end, now))
        if refused is not None:
            return limit_refusal(refused, wait)
        for charge, slot in zip(charges, slots, strict=True):
            slot.used += charge.amount
            self._slots[charge.limit.counter_id] = slot
        reservation = Reservation(
            request_id, tuple(charges), tuple(slot.start for slot in slots), local=True
        )
        self._open[request_id] = reservation
        return reservation

    async def settle(
        self, reservation: Reservation, actual_tokens: int, actual_cost: Decimal
    ) -> bool:
        return self.finish_now(reservation, actual_tokens, dollars_to_units(actual_cost), False)

    async def release(self, reservation: Reservation) -> bool:
        return self.finish_now(reservation, 0, 0, True)

    def finish_now(
        self, reservation: Reservation, actual_tokens: int, actual_units: int, release: bool
    ) -> bool:
        """Swap reserved amounts for actual ones (all zero on release), once per request id."""
        if actual_tokens < 0 or actual_units < 0:
            raise ValueError("actual usage cannot be negative")
        if self._open.pop(reservation.request_id, None) is None:
            return False
        for charge, start in zip(reservation.charges, reservation.window_starts, strict=True):
            slot = self._slots.get(charge.limit.counter_id)
            if slot is None or slot.start != start:
                continue  # that window is over; its count went with it
            actual = 0 if release else actual_amount(charge, actual_tokens, actual_units)
            slot.used = max(0, slot.used - charge.amount + actual)
        return True

    async def current(self, limit: Limit) -> Usage:
        slot = self._slots.get(limit.counter_id)
        if slot is None or self._clock.now() >= slot.end:
            return Usage(0, limit.maximum, None, None)
        return Usage(slot.used, limit.maximum, slot.start, slot.end)

    async def health(self) -> str:
        return "ok"

    async def aclose(self) -> None:
        self._slots.clear()
        self._open.clear()

    def _live_slot(self, limit: Limit, now: float) -> _Slot:
        """The open window of a counter, or a fresh one (not stored until charged)."""
        slot = self._slots.get(limit.counter_id)
        if slot is not None and now < slot.end:
            return slot
        start, end = limit.window.bounds(now)
        return _Slot(start, end, 0)
