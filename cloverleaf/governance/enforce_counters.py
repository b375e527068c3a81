"""Which counter store this instance uses: Redis when `CLOVERLEAF_REDIS_URL` is set (exact
across instances and workers), else memory (exact for one process)."""

from __future__ import annotations

from cloverleaf.config.server import GovernanceSettings
from cloverleaf.governance.counters import CounterStore
from cloverleaf.governance.counters_memory import MemoryCounters
from cloverleaf.governance.counters_redis import RedisCounters, RedisPolicy


def counters_for(redis_url: str | None, settings: GovernanceSettings) -> CounterStore:
    if not redis_url:
        return MemoryCounters()
    return RedisCounters(
        redis_url,
        prefix=settings.counters_prefix,
        policy=RedisPolicy(settings.counters_on_redis_down),
        timeout_s=settings.redis_timeout_s,
    )


def counters_kind(counters: CounterStore) -> str:
    return "redis" if isinstance(counters, RedisCounters) else "memory"
