"""Lua script calls to Redis, sent in pipelines: every call made while the previous pipelines
are in flight goes out together in the next one.

A busy gateway makes two script calls per governed request (reserve, settle). Sent one by one,
each pays redis-py's connection checkout, timeout wrapper, write and read: most of a request's
CPU. Pipelined, those costs are paid once per batch, and Redis still runs each script on its own,
atomically: batching changes how calls travel, never what they do.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError


class LuaScript:
    """A Lua script by name and SHA: EVALSHA, loading it on NOSCRIPT (after a Redis restart or
    on a fresh Redis)."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


@dataclass(slots=True)
class _Call:
    script: LuaScript
    keys: list[str]
    args: list[str | int]
    reply: asyncio.Future[object] = field(repr=False)


class ScriptPipeline:
    """`call` queues a script call and waits for its reply. At most `max_in_flight` pipelines
    are on the wire at once; calls made meanwhile wait and leave together as soon as one
    returns, so batches grow with the load and a lone call leaves at once.

    A pipeline that fails (connection lost, `deadline_s` passed) fails every call in it with
    that error; the caller decides what that means (its scripts are idempotent per request)."""

    def __init__(self, client: aioredis.Redis, deadline_s: float, max_in_flight: int = 4) -> None:
        self._client = client
        self._deadline_s = deadline_s
        self._max_in_flight = max_in_flight
        self._queue: list[_Call] = []
        self._in_flight = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def call(self, script: LuaScript, keys: list[str], args: list[str | int]) -> object:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[object] = loop.create_future()
        self._queue.append(_Call(script, keys, args, reply))
        if not self._scheduled and self._in_flight < self._max_in_flight:
            self._scheduled = True  # calls made in this loop iteration join the same batch
            loop.call_soon(self._flush)
        return await reply

    async def aclose(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._queue or self._in_flight >= self._max_in_flight:
            return
        batch, self._queue = self._queue, []
        self._in_flight += 1
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._in_flight -= 1
        if self._queue and not self._scheduled:
            self._flush()

    async def _send(self, batch: list[_Call]) -> None:
        try:
            async with asyncio.timeout(self._deadline_s):
                replies = await self._execute(batch)
                missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
                if missing:  # a fresh or restarted Redis: load the scripts, run those again
                    for script in {batch[i].script.sha: batch[i].script for i in missing}.values():
                        await self._client.script_load(script.source)
                    again = await self._execute([batch[i] for i in missing])
                    for index, reply in zip(missing, again, strict=True):
                        replies[index] = reply
        except BaseException as exc:  # every waiter learns why (cancellation included)
            error = exc if isinstance(exc, Exception) else ConnectionError("pipeline cancelled")
            for call in batch:
                if not call.reply.done():
                    call.reply.set_exception(error)
            if not isinstance(exc, Exception):
                raise
            return
        for call, reply in zip(batch, replies, strict=True):
            if call.reply.done():  # its caller gave up (cancelled)
                continue
            if isinstance(reply, Exception):
                call.reply.set_exception(reply)
            else:
                call.reply.set_result(reply)

    async def _execute(self, batch: list[_Call]) -> list[object]:
        pipe = self._client.pipeline(transaction=False)
        for call in batch:
            pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
        return list(await pipe.execute(raise_on_error=False))
