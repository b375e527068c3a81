"""Redis counters against the real local Redis: the shared cases, exactness across instances and
OS processes, and the outage policy when Redis is gone, stalled or drops the connection.

Each test uses its own key prefix and deletes its keys afterwards (the Redis is shared: never
FLUSHALL)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis.asyncio as aioredis

from cloverleaf.governance.counters import (
    Charge,
    CounterStore,
    CountersUnavailable,
    RefusalReason,
    Reservation,
)
from cloverleaf.governance.counters_redis import RedisCounters, RedisPolicy
from cloverleaf.governance.redis_batch import LuaScript, ScriptPipeline
from cloverleaf.governance.redis_scripts import RESERVE, RESERVE_NAME, SETTLE, SETTLE_NAME
from tests.services import REDIS_URL, require_redis
from tests.unit.counters_cases import (
    CASES,
    FakeClock,
    budget,
    cost,
    exactly_ten_of_fifty,
    granted,
    rate_limit_window,
    refused,
    requests,
)

#: generous: the stores answer within 0.3 s; this only turns a hang into a failure
HANG_GUARD_S = 5.0


@pytest.fixture
def prefix() -> Iterator[str]:
    require_redis()
    name = f"test-counters-{uuid.uuid4().hex[:12]}"
    yield name
    asyncio.run(_delete_keys(name))


async def _delete_keys(name: str) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match="{" + name + "}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def stores(
    prefix: str, clock: FakeClock, count: int = 1
) -> AsyncIterator[list[RedisCounters]]:
    """`count` instances, each with its own connection pool, as separate gateways would be."""
    made = [RedisCounters(REDIS_URL, prefix=prefix, clock=clock) for _ in range(count)]
    try:
        yield made
    finally:
        for store in made:
            await store.aclose()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_shared_case(
    case: Callable[[CounterStore, FakeClock], Coroutine[Any, Any, None]], prefix: str
) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        async with stores(prefix, clock) as (store,):
            await case(store, clock)

    asyncio.run(scenario())


def test_scripts_are_versioned_by_name() -> None:
    assert RESERVE.startswith(f"-- {RESERVE_NAME}\n") and RESERVE_NAME == "cloverleaf:reserve:v1"
    assert SETTLE.startswith(f"-- {SETTLE_NAME}\n") and SETTLE_NAME == "cloverleaf:settle:v1"


def test_fifty_concurrent_requests_on_two_instances_get_exactly_ten(prefix: str) -> None:
    async def scenario() -> None:
        async with stores(prefix, FakeClock(), count=2) as pair:
            await exactly_ten_of_fifty(list(pair))
            assert await pair[1].health() == "ok"

    asyncio.run(scenario())


def test_rate_limit_five_per_minute_across_two_instances(prefix: str) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        async with stores(prefix, clock, count=2) as pair:
            await rate_limit_window(list(pair), clock)

    asyncio.run(scenario())


_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from decimal import Decimal
    from cloverleaf.governance.counters import Reservation
    from cloverleaf.governance.counters_redis import RedisCounters
    from tests.unit.counters_cases import budget, cost

    async def main(url: str, prefix: str, name: str) -> None:
        store = RedisCounters(url, prefix=prefix, timeout_s=2.0)
        limit = budget("vk:procs:budget", "1.00")
        calls = [store.reserve(f"{name}-{i}", [cost(limit, "0.10")]) for i in range(25)]
        results = await asyncio.gather(*calls)
        await store.aclose()
        print(sum(isinstance(r, Reservation) for r in results))

    asyncio.run(main(*sys.argv[1:]))
    """
)


def test_two_os_processes_get_exactly_ten_between_them(prefix: str) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, REDIS_URL, prefix, name],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    counts = [int(worker.communicate(timeout=60)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(counts) == 10


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_unreachable_redis_refuses_under_the_default_policy() -> None:
    async def scenario() -> None:
        store = RedisCounters(f"redis://127.0.0.1:{_closed_port()}/0", prefix="unused")
        limit = budget("vk:down:budget", "1.00")
        async with asyncio.timeout(HANG_GUARD_S):
            refusal = refused(await store.reserve("d1", [cost(limit, "0.10")]))
            assert refusal.reason is RefusalReason.STORE_UNAVAILABLE
            assert "Redis unreachable" in refusal.message and refusal.retry_after_s >= 1
            # still down: answered from the remembered outage, same policy
            again = refused(await store.reserve("d2", [cost(limit, "0.10")]))
            assert again.reason is RefusalReason.STORE_UNAVAILABLE
            health = await store.health()
            assert health.startswith("degraded: Redis counters unreachable")
            assert "refused" in health
            with pytest.raises(CountersUnavailable):
                await store.current(limit)
        await store.aclose()

    asyncio.run(scenario())


def test_unreachable_redis_counts_locally_under_allow_local() -> None:
    async def scenario() -> None:
        store = RedisCounters(
            f"redis://127.0.0.1:{_closed_port()}/0",
            prefix="unused",
            policy=RedisPolicy.ALLOW_LOCAL,
        )
        limit = requests("vk:local:requests", 2)
        async with asyncio.timeout(HANG_GUARD_S):
            first = granted(await store.reserve("l1", [Charge(limit, 1)]))
            assert first.local
            granted(await store.reserve("l2", [Charge(limit, 1)]))
            assert refused(await store.reserve("l3", [Charge(limit, 1)])).counter_id == (
                "vk:local:requests"
            )
            assert await store.release(first)
            granted(await store.reserve("l4", [Charge(limit, 1)]))
            assert "counted per instance" in await store.health()
        await store.aclose()

    asyncio.run(scenario())


def test_stalled_redis_answers_by_policy_within_the_timeout(prefix: str) -> None:
    """A server that accepts and never answers: the deadline, not the socket, ends the wait."""

    async def scenario() -> None:
        stalled: list[asyncio.StreamWriter] = []

        async def swallow(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            stalled.append(writer)

        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        store = RedisCounters(f"redis://127.0.0.1:{port}/0", prefix=prefix, timeout_s=0.05)
        limit = budget("vk:stall:budget", "1.00")
        async with asyncio.timeout(HANG_GUARD_S):
            refusal = refused(await store.reserve("s1", [cost(limit, "0.10")]))
            assert refusal.reason is RefusalReason.STORE_UNAVAILABLE
            assert "no answer within" in await store.health()
        await store.aclose()
        for writer in stalled:
            writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())


def test_killed_connection_is_answered_and_counting_resumes(prefix: str) -> None:
    """`CLIENT KILL` from a second connection drops the store's connection between calls: the
    next call is answered (reconnected, or the policy) without a hang, and nothing is counted
    twice."""

    async def scenario() -> None:
        clock = FakeClock()
        name = f"counters-{prefix}"
        store = RedisCounters(
            REDIS_URL, prefix=prefix, clock=clock, retry_interval_s=0, client_name=name
        )
        admin = aioredis.Redis.from_url(REDIS_URL)
        limit = requests("vk:kill:requests", 10)
        async with asyncio.timeout(HANG_GUARD_S):
            granted(await store.reserve("k1", [Charge(limit, 1)]))
            ours = [c["id"] for c in await admin.client_list() if c["name"] == name]
            assert ours
            for client_id in ours:
                await admin.client_kill_filter(_id=client_id)
            answer = await store.reserve("k2", [Charge(limit, 1)])
            if not isinstance(answer, Reservation):
                assert answer.reason is RefusalReason.STORE_UNAVAILABLE
            granted(await store.reserve("k3", [Charge(limit, 1)]))
            await store.aclose()  # waits for the release of a k2 that failed mid-call
            async with stores(prefix, clock) as (reader,):
                expected = 2 + isinstance(answer, Reservation)
                assert (await reader.current(limit)).used == expected
        await admin.aclose()

    asyncio.run(scenario())


def test_settle_of_a_retried_request_after_release_is_refused_not_recharged(prefix: str) -> None:
    async def scenario() -> None:
        async with stores(prefix, FakeClock()) as (store,):
            limit = budget("vk:dup:budget", "1.00")
            held = granted(await store.reserve("dup", [cost(limit, "0.50")]))
            assert await store.release(held)
            late = refused(await store.reserve("dup", [cost(limit, "0.50")]))
            assert late.reason is RefusalReason.DUPLICATE_REQUEST
            assert (await store.current(limit)).used == 0
            assert not await store.settle(held, 0, Decimal("0.10"))

    asyncio.run(scenario())


def test_a_script_redis_has_not_seen_is_loaded_on_noscript() -> None:
    require_redis()

    async def scenario() -> None:
        script = LuaScript("test:echo:v1", f"-- {uuid.uuid4().hex}\nreturn ARGV[1]")
        client = aioredis.Redis.from_url(REDIS_URL)
        pipeline = ScriptPipeline(client, deadline_s=2.0)
        try:
            assert await client.script_exists(script.sha) == [False]
            assert await pipeline.call(script, [], ["hello"]) == b"hello"
            assert await client.script_exists(script.sha) == [True]
        finally:
            await pipeline.aclose()
            await client.aclose()

    asyncio.run(scenario())


def test_calls_made_together_travel_in_one_pipeline_and_each_gets_its_own_reply() -> None:
    """Batching changes how calls travel, never their answers: 200 concurrent calls (more than
    one pipeline can be in flight) each get their own argument back, in a few round trips."""
    require_redis()

    async def scenario() -> None:
        script = LuaScript("test:echo:v1", "return ARGV[1]")
        client = aioredis.Redis.from_url(REDIS_URL)
        pipeline = ScriptPipeline(client, deadline_s=2.0, max_in_flight=2)
        sent: list[int] = []
        execute = pipeline._execute

        async def counting(batch: list[Any]) -> list[object]:
            sent.append(len(batch))
            return await execute(batch)

        pipeline._execute = counting  # type: ignore[method-assign]
        try:
            replies = await asyncio.gather(
                *(pipeline.call(script, [], [str(i)]) for i in range(200))
            )
            assert replies == [str(i).encode() for i in range(200)]
            assert sum(sent) >= 200 and len(sent) < 20, sent
        finally:
            await pipeline.aclose()
            await client.aclose()

    asyncio.run(scenario())


class _ReplyDroppingProxy:
    """A TCP proxy to the real Redis that can stop passing replies back: the script runs in
    Redis but the store never hears of it, as when Redis stalls mid-call."""

    def __init__(self) -> None:
        self.drop_replies = False
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
        host, _, port = host_port.rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        self._writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pump(reader, upstream_writer, replies=False),
            self._pump(upstream_reader, writer, replies=True),
        )

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, replies: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if not (replies and self.drop_replies):
                    sink.write(data)
                    await sink.drain()
        sink.close()

    async def aclose(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


def test_a_reserve_lost_in_a_stall_is_released_when_redis_answers_again(prefix: str) -> None:
    async def scenario() -> None:
        clock = FakeClock()
        proxy = _ReplyDroppingProxy()
        url = await proxy.start()
        store = RedisCounters(url, prefix=prefix, clock=clock, retry_interval_s=0)
        limit = requests("vk:stall:requests", 10)
        async with asyncio.timeout(HANG_GUARD_S):
            granted(await store.reserve("before", [Charge(limit, 1)]))
            proxy.drop_replies = True
            lost = refused(await store.reserve("lost", [Charge(limit, 1)]))
            assert lost.reason is RefusalReason.STORE_UNAVAILABLE
            proxy.drop_replies = False
            granted(await store.reserve("after", [Charge(limit, 1)]))
            await store.aclose()  # waits for the background release of "lost"
            async with stores(prefix, clock) as (reader,):
                assert (await reader.current(limit)).used == 2  # "lost" ran, then was released
                late = refused(await reader.reserve("lost", [Charge(limit, 1)]))
                assert late.reason is RefusalReason.DUPLICATE_REQUEST
        await proxy.aclose()

    asyncio.run(scenario())
