"""Live `current_usage` for list endpoints and the quota endpoint, read from the counters.

The renderers ask synchronously while counters (Redis) answer asynchronously, so a background
task reads every budget's and rate limit's counter each `interval_s` and the view answers from
that copy: at most one interval old, and never a request-path cost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from decimal import Decimal

from cloverleaf.governance.counters import (
    CounterStore,
    CountersUnavailable,
    Limit,
    units_to_dollars,
)
from cloverleaf.governance.enforce_limits import budget_limit, rate_limits
from cloverleaf.governance.models import GovernanceSnapshot
from cloverleaf.governance.usage import BUDGET, RATE_LIMIT_TOKENS, StoredUsage, UsageView

log = logging.getLogger("cloverleaf.governance")


class LiveUsage:
    def __init__(
        self,
        counters: CounterStore,
        snapshot: Callable[[], GovernanceSnapshot],
        interval_s: float = 1.0,
    ) -> None:
        self._counters = counters
        self._snapshot = snapshot
        self._interval_s = interval_s
        #: counter id → units used in its open window
        self._used: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def view(self, snapshot: GovernanceSnapshot) -> UsageView:
        return _LiveView(snapshot, self._used)

    async def refresh(self) -> None:
        snapshot = self._snapshot()
        limits: list[Limit] = [budget_limit(b) for b in snapshot.budgets.values()]
        for rate_limit in snapshot.rate_limits.values():
            limits += [limit for limit in rate_limits(rate_limit) if limit is not None]
        used: dict[str, int] = {}
        for limit in limits:
            used[limit.counter_id] = (await self._counters.current(limit)).used
        self._used.clear()
        self._used.update(used)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except CountersUnavailable:
                pass  # the last known values stay; /health says why
            except Exception:
                log.exception("reading live usage failed")
            await asyncio.sleep(self._interval_s)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class _LiveView:
    def __init__(self, snapshot: GovernanceSnapshot, used: dict[str, int]) -> None:
        self._stored = StoredUsage(snapshot)
        self._used = used

    def current_usage(self, scope: str, id: str) -> Decimal | int:
        if scope == BUDGET:
            units = self._used.get(f"b:{id}")
            if units is not None:
                return units_to_dollars(units)
            return self._stored.current_usage(scope, id)
        suffix = "t" if scope == RATE_LIMIT_TOKENS else "r"
        counted = self._used.get(f"rl:{id}:{suffix}")
        return counted if counted is not None else self._stored.current_usage(scope, id)
