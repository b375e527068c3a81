"""How an instance learns that another one changed the config: a Redis message when Redis is
configured, and in any case a poll of the stored config version (the safety net)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cloverleaf.storage.repository import ConfigRepository

log = logging.getLogger("cloverleaf.storage")

CHANNEL = "cloverleaf:config"
POLL_S = 0.5
#: with Redis delivering changes at once, polling only covers lost messages
POLL_WITH_REDIS_S = 5.0

OnChange = Callable[[int], Awaitable[object]]


class ChangeFeed:
    def __init__(
        self,
        repository: ConfigRepository,
        on_change: OnChange,
        redis_url: str | None = None,
        poll_s: float | None = None,
    ) -> None:
        self._repository = repository
        self._on_change = on_change
        self._redis = aioredis.from_url(redis_url) if redis_url else None
        self._poll_s = poll_s or (POLL_WITH_REDIS_S if redis_url else POLL_S)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, known_version: int) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._poll(known_version)))
        if self._redis is not None:
            self._tasks.append(loop.create_task(self._listen()))

    async def publish(self, version: int) -> None:
        """Tell the other instances; they also find out by polling if this message is lost."""
        if self._redis is None:
            return
        try:
            await self._redis.publish(CHANNEL, str(version))
        except RedisError as exc:
            log.warning("could not publish config version %d to Redis: %s", version, exc)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._redis is not None:
            await self._redis.aclose()

    async def _poll(self, known: int) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                version = await self._repository.version()
            except Exception as exc:  # a database hiccup must not end the loop
                log.warning("polling the config version failed: %s", exc)
                continue
            if version != known:
                known = version
                await self._notify(version)

    async def _listen(self) -> None:
        assert self._redis is not None
        backoff = 0.5
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    backoff = 0.5
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._notify(int(message["data"]))
            except (RedisError, OSError, ValueError) as exc:
                log.warning("Redis config channel: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _notify(self, version: int) -> None:
        try:
            await self._on_change(version)
        except Exception:
            log.exception("applying config version %d failed", version)
