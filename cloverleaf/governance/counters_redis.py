"""Counters in Redis, shared by every instance and worker process: one EVALSHA per reserve and
one per settle, each a Lua script that checks and charges all counters atomically. Calls made
at the same time travel together in one pipeline (`redis_batch`).

Every Redis call is bounded: a short socket timeout (default 100 ms), one retry only when a
connection was dropped, and an overall deadline (three times the timeout) around each call, so
a dead or stalled Redis costs a request at most the deadline. When Redis cannot answer,
`RedisPolicy` decides:

- `refuse` (default): the request is refused with `store_unavailable` (a 503 with a clear
  reason) rather than risk overspending a budget nobody can count;
- `allow_local`: the request is counted in this process's memory counters instead, logged
  once per outage. Limits are then per instance until Redis returns (they may multiply by the
  number of instances) — availability over exactness, chosen explicitly.

After a failure Redis is skipped for `retry_interval_s`, so an outage does not add the timeout
to every request. A settle that cannot reach Redis leaves the reserved worst case charged until
the window ends: under-spending, never over-spending.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections.abc import Sequence
from decimal import Decimal

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cloverleaf.governance import redis_scripts
from cloverleaf.governance.counters import (
    Charge,
    CountersUnavailable,
    Limit,
    Refusal,
    RefusalReason,
    Reservation,
    Usage,
    check_request,
    dollars_to_units,
    limit_refusal,
    retry_after,
)
from cloverleaf.governance.counters_memory import MemoryCounters
from cloverleaf.governance.redis_batch import LuaScript, ScriptPipeline
from cloverleaf.governance.windows import Clock, SystemClock

log = logging.getLogger("cloverleaf.governance")

_UNAVAILABLE = (RedisError, OSError, TimeoutError)
#: reservations whose reserve failed (it may have run): released once Redis answers again
_MAX_UNCERTAIN = 10_000


class RedisPolicy(enum.Enum):
    """What reserve does when Redis cannot answer."""

    REFUSE = "refuse"
    ALLOW_LOCAL = "allow_local"


class RedisCounters:
    """`CounterStore` in Redis. Keys live under the `{prefix}` hash tag and expire with their
    window (plus `slack_s`). An open reservation is kept `reservation_ttl_s` (longer than any
    request: a settle after that finds nothing and the reserved worst case stays counted); a
    finished one leaves a tombstone for `tombstone_ttl_s` (longer than any retry of the same
    request id; short, because there is one per request)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "cloverleaf",
        policy: RedisPolicy = RedisPolicy.REFUSE,
        clock: Clock | None = None,
        timeout_s: float = 0.1,
        retry_interval_s: float = 1.0,
        reservation_ttl_s: int = 86_400,
        slack_s: int = 60,
        tombstone_ttl_s: int = 600,
        client_name: str = "cloverleaf-counters",
        max_connections: int = 64,
    ) -> None:
        self._timeout_s = timeout_s
        self._deadline_s = 3 * timeout_s  # connect + NOSCRIPT reload + the call
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,  # a burst waits for a connection (bounded by the
            timeout=self._deadline_s,  # deadline) instead of opening thousands
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            # one immediate retry on a dropped connection (a Redis restart, an idle connection
            # killed); safe because reserve and settle are idempotent per request id
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            client_name=client_name,  # how operators spot these connections in CLIENT LIST
        )
        self._client = aioredis.Redis.from_pool(pool)
        self._pipeline = ScriptPipeline(self._client, self._deadline_s)
        self._prefix = "{" + prefix + "}"
        self.policy = policy
        self._clock = clock or SystemClock()
        self._retry_interval_s = retry_interval_s
        self._reservation_ttl_ms = reservation_ttl_s * 1000
        self._slack_ms = slack_s * 1000
        self._tombstone_ttl_ms = tombstone_ttl_s * 1000
        self._local = MemoryCounters(self._clock)
        self._reserve = LuaScript(redis_scripts.RESERVE_NAME, redis_scripts.RESERVE)
        self._settle = LuaScript(redis_scripts.SETTLE_NAME, redis_scripts.SETTLE)
        self._down_until = 0.0
        self._last_error: str | None = None
        self._uncertain: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def reserve(self, request_id: str, charges: Sequence[Charge]) -> Reservation | Refusal:
        check_request(request_id, charges)
        if not charges:  # nothing to count: no round trip
            return self._local.reserve_now(request_id, charges)
        if time.monotonic() < self._down_until:
            return self._fallback(request_id, charges)
        now = self._clock.now()
        args: list[str | int] = [_ms(now), self._reservation_ttl_ms, self._slack_ms]
        for charge in charges:
            start, end = charge.limit.window.bounds(now)
            limit = charge.limit
            args += [charge.amount, limit.maximum, _ms(start), _ms(end), limit.unit.value]
        keys = [self._reservation_key(request_id)]
        keys += [self._counter_key(charge.limit.counter_id) for charge in charges]
        try:
            reply = await self._call(self._reserve, keys, args)
        except _UNAVAILABLE as exc:
            self._mark_down(exc)
            if len(self._uncertain) < _MAX_UNCERTAIN:  # the script may have run before the error
                self._uncertain.add(request_id)
            return self._fallback(request_id, charges)
        assert isinstance(reply, list)
        code = int(reply[0])
        if code in (1, 2):
            starts = tuple(int(value) / 1000 for value in reply[1:])
            return Reservation(request_id, tuple(charges), starts)
        if code == 0:
            refused = charges[int(reply[1]) - 1].limit.counter_id
            return limit_refusal(refused, retry_after(now + int(reply[2]) / 1000, now))
        return Refusal(
            RefusalReason.DUPLICATE_REQUEST,
            f"request {request_id} was already settled or released; use a new request id",
        )

    async def settle(
        self, reservation: Reservation, actual_tokens: int, actual_cost: Decimal
    ) -> bool:
        return await self._finish(reservation, actual_tokens, dollars_to_units(actual_cost), False)

    async def release(self, reservation: Reservation) -> bool:
        return await self._finish(reservation, 0, 0, True)

    async def current(self, limit: Limit) -> Usage:
        key = self._counter_key(limit.counter_id)
        try:
            async with asyncio.timeout(self._deadline_s):
                state = await self._client.hmget(key, ["s", "e", "u"])
        except _UNAVAILABLE as exc:
            self._mark_down(exc)
            raise CountersUnavailable(f"counters unavailable: {self._last_error}") from exc
        self._mark_up()
        start, end, used = state
        if start is None or end is None or _ms(self._clock.now()) >= int(end):
            return Usage(0, limit.maximum, None, None)
        return Usage(int(used or 0), limit.maximum, int(start) / 1000, int(end) / 1000)

    async def health(self) -> str:
        """Pings Redis (bounded): `ok`, or the error and what the policy does about it."""
        try:
            async with asyncio.timeout(self._deadline_s):
                await self._client.ping()
        except _UNAVAILABLE as exc:
            self._mark_down(exc)
            return self._degraded()
        self._mark_up()
        return "ok"

    async def aclose(self) -> None:
        """Finishes pending releases (each bounded, and they stop at the first failure)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._pipeline.aclose()
        await self._client.aclose()

    async def _finish(
        self, reservation: Reservation, actual_tokens: int, actual_units: int, release: bool
    ) -> bool:
        if actual_tokens < 0 or actual_units < 0:
            raise ValueError("actual usage cannot be negative")
        if reservation.local:
            return self._local.finish_now(reservation, actual_tokens, actual_units, release)
        mode = "r" if release else "s"
        args: list[str | int] = [self._tombstone_ttl_ms, actual_tokens, actual_units, mode]
        try:
            reply = await self._call(
                self._settle, [self._reservation_key(reservation.request_id)], args
            )
        except _UNAVAILABLE as exc:
            self._mark_down(exc)
            log.warning(
                "could not %s request %s in Redis (%s); its reserved amounts stay counted "
                "until their windows end",
                "release" if release else "settle",
                reservation.request_id,
                self._last_error,
            )
            return False
        return reply == 1

    async def _call(self, script: LuaScript, keys: list[str], args: list[str | int]) -> object:
        """Bounded by the pipeline's deadline: at most two (the pipeline ahead, then its own)."""
        reply = await self._pipeline.call(script, keys, args)
        self._mark_up()
        return reply

    def _fallback(self, request_id: str, charges: Sequence[Charge]) -> Reservation | Refusal:
        if self.policy is RedisPolicy.ALLOW_LOCAL:
            return self._local.reserve_now(request_id, charges)
        return Refusal(
            RefusalReason.STORE_UNAVAILABLE,
            "budget and rate-limit counters are unavailable (Redis unreachable); requests with "
            "limits are refused until it answers",
            retry_after_s=max(1, math.ceil(self._retry_interval_s)),
        )

    def _mark_down(self, exc: BaseException) -> None:
        error = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError | RedisTimeoutError):
            error = f"no answer within {self._timeout_s:g}s"
        if self._last_error is None:
            log.warning("Redis counters unavailable: %s; policy %s", error, self.policy.value)
        self._last_error = error
        self._down_until = time.monotonic() + self._retry_interval_s

    def _mark_up(self) -> None:
        if self._last_error is not None:
            log.info("Redis counters reachable again")
            self._last_error = None
        if self._uncertain:
            self._spawn_cleanup()

    def _spawn_cleanup(self) -> None:
        """Release, in the background, reservations whose reserve failed: if the script ran
        after all, its charges are refunded; if it did not, the tombstone stops a late one."""
        pending, self._uncertain = self._uncertain, set()
        task = asyncio.get_running_loop().create_task(self._release_all(sorted(pending)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release_all(self, request_ids: list[str]) -> None:
        for index, request_id in enumerate(request_ids):
            key = self._reservation_key(request_id)
            try:
                await self._call(self._settle, [key], [self._tombstone_ttl_ms, 0, 0, "r"])
            except _UNAVAILABLE as exc:
                self._mark_down(exc)
                self._uncertain.update(request_ids[index:])  # next time Redis answers
                return

    def _degraded(self) -> str:
        action = (
            "requests with limits are refused"
            if self.policy is RedisPolicy.REFUSE
            else "limits are counted per instance"
        )
        return f"degraded: Redis counters unreachable ({self._last_error}); {action}"

    def _counter_key(self, counter_id: str) -> str:
        return f"{self._prefix}:c:{counter_id}"

    def _reservation_key(self, request_id: str) -> str:
        return f"{self._prefix}:r:{request_id}"


def _ms(seconds: float) -> int:
    return math.floor(seconds * 1000)
