"""After the upstream call: what the request cost, and its reservation settled to the real usage
(or released when nothing is known to have been used). Runs from the request record, once per
request; counter calls are scheduled as tasks so the relay never waits for Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cloverleaf.core.usage import Usage
from cloverleaf.governance.cost import CHAT, PriceBook, cost_of
from cloverleaf.governance.counters import (
    CounterStore,
    Reservation,
    Unit,
    dollars_to_units,
    units_to_dollars,
)
from cloverleaf.governance.counters_memory import MemoryCounters
from cloverleaf.governance.enforce_context import CURRENT, GovernedRequest
from cloverleaf.governance.models import GovernanceSnapshot

log = logging.getLogger("cloverleaf.governance")


@dataclass(frozen=True, slots=True)
class Charged:
    """What a request record learns from accounting."""

    cost: Decimal | None
    unpriced: bool
    client_key_id: str | None


def reserved(reservation: Reservation) -> tuple[int, Decimal]:
    """The tokens and dollars a reservation holds: what to settle to when nothing better is
    known."""
    tokens = max((c.amount for c in reservation.charges if c.limit.unit is Unit.TOKENS), default=0)
    units = max(
        (c.amount for c in reservation.charges if c.limit.unit is Unit.NANO_DOLLARS), default=0
    )
    return tokens, units_to_dollars(units)


class Accounting:
    def __init__(
        self,
        counters: CounterStore,
        prices: PriceBook,
        snapshot: Callable[[], GovernanceSnapshot],
    ) -> None:
        self.counters = counters
        self.prices = prices
        self._snapshot = snapshot
        self._tasks: set[asyncio.Task[Any]] = set()

    def pending(self) -> bool:
        """Whether the current request holds a reservation to settle (or may)."""
        return CURRENT.get() is not None

    def charge(
        self,
        provider: str,
        model: str,
        usage: Usage | None,
        provider_key_id: str | None,
        request_type: str = CHAT,
    ) -> Charged:
        """Price a finished request (at its request type's prices) and settle its reservation,
        if it has one."""
        governed = CURRENT.get()
        snapshot = governed.snapshot if governed is not None else self._snapshot()
        key_id = governed.key.id if governed is not None else None
        cost: Decimal | None = None
        if usage is not None:
            prices = self.prices.prices(
                snapshot, provider, model, provider_key_id, key_id, request_type=request_type
            )
            cost = cost_of(prices.pricing, usage)
        if governed is not None:
            self.finish(governed, usage, cost)
        return Charged(cost, usage is not None and cost is None, key_id)

    def finish(
        self,
        governed: GovernedRequest,
        usage: Usage | None,
        cost: Decimal | None,
        answered: bool = True,
    ) -> None:
        """Settle to the real usage. An upstream that answered without saying what it used (a
        stream cut short) keeps the worst case charged: under-spending, never over-spending.
        A request no upstream answered is released."""
        if governed.finished:
            return
        governed.finished = True
        reservation = governed.reservation
        if reservation is None:
            return
        local = self.counters if isinstance(self.counters, MemoryCounters) else None
        if not answered:
            if local is not None:  # no await inside: done here, no task needed
                local.finish_now(reservation, 0, 0, True)
            else:
                self._spawn(self.counters.release(reservation))
            return
        if usage is None:
            tokens, cost = reserved(reservation)
        else:
            tokens = usage.prompt_tokens + usage.completion_tokens
        if local is not None:
            local.finish_now(reservation, tokens, dollars_to_units(cost or Decimal(0)), False)
        else:
            self._spawn(self.counters.settle(reservation, tokens, cost or Decimal(0)))

    def close(self, governed: GovernedRequest) -> None:
        """The request is over; a reservation no record settled (no upstream answered, or the
        client left before the answer started) is released."""
        self.finish(governed, None, None, answered=False)

    def _spawn(self, work: Coroutine[Any, Any, bool]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("settling a reservation failed: %s", task.exception())

    async def aclose(self) -> None:
        """Let scheduled settles finish (each is bounded by the store's timeout), then close."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.counters.aclose()
