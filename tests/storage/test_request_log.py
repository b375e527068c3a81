"""The request log writer on each backend: batches, idempotency, exact money, outages, bounds,
shutdown. Flushes are driven directly (`flush()`), so nothing depends on timing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from cloverleaf.core.usage import Usage
from cloverleaf.storage.migrate import migrate
from cloverleaf.storage.request_log import RequestLogWriter, to_row
from cloverleaf.storage.request_log_spool import RequestLogSpool
from tests.storage.request_log_helpers import (
    FIXED_NOW_S,
    count_rows,
    opened,
    record,
    rows_by_id,
    spool_lines,
)

Env = tuple[str | None, Path]


def test_rows_round_trip_with_exact_cost_and_usage(store_env: Env) -> None:
    url, data_dir = store_env
    tiny = Decimal("0.000000123456789012345678901234567")

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), clock=lambda: FIXED_NOW_S)
            writer.sink(record("r-priced", cost=tiny))
            writer.sink(record("r-unpriced", cost=None, client_key_id=None))
            writer.sink(record("r-no-usage", usage=None, stream=True))
            assert writer.queued == 3
            assert await writer.flush()
            rows = await rows_by_id(engine)
        assert set(rows) == {"r-priced", "r-unpriced", "r-no-usage"}
        priced = rows["r-priced"]
        assert Decimal(priced["cost"]) == tiny and priced["unpriced"] is False
        assert priced["finished_at_ms"] == 1_790_000_000_123
        assert (priced["provider"], priced["model"], priced["status"]) == (
            "openai",
            "gpt-4o-mini",
            200,
        )
        assert priced["remote_ms"] == 12.5 and priced["stream"] is False
        assert priced["client_key_id"] == "vk-1"
        usage = tuple(
            priced[name]
            for name in (
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "cached_tokens",
                "reasoning_tokens",
                "cache_write_tokens",
            )
        )
        assert usage == (10, 5, 15, 4, 2, 3)
        unpriced = rows["r-unpriced"]
        assert unpriced["cost"] is None and unpriced["unpriced"] is True
        assert unpriced["client_key_id"] is None
        silent = rows["r-no-usage"]
        assert silent["prompt_tokens"] is None and silent["stream"] is True
        assert priced["request_type"] == "chat_completion"
        assert (priced["images"], priced["audio_seconds"], priced["characters"]) == (None,) * 3

    asyncio.run(scenario())


def test_units_and_request_type_round_trip(store_env: Env) -> None:
    """Images, exact seconds of audio and characters are kept beside the tokens."""
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), clock=lambda: FIXED_NOW_S)
            seconds = Usage(audio_seconds=Decimal("8.47"))
            writer.sink(
                replace(record("r-image"), usage=Usage(images=3), request_type="image_generation")
            )
            writer.sink(replace(record("r-heard"), usage=seconds, request_type="transcription"))
            writer.sink(
                replace(record("r-said"), usage=Usage(characters=120), request_type="speech")
            )
            assert await writer.flush()
            rows = await rows_by_id(engine)
        assert (rows["r-image"]["request_type"], rows["r-image"]["images"]) == (
            "image_generation",
            3,
        )
        assert Decimal(rows["r-heard"]["audio_seconds"]) == Decimal("8.47")
        assert rows["r-said"]["characters"] == 120 and rows["r-said"]["request_type"] == "speech"

    asyncio.run(scenario())


def test_same_request_id_is_one_row_within_and_across_batches(store_env: Env) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), batch_size=10)
            writer.sink(record("dup", cost=Decimal("1.5")))
            writer.sink(record("dup", cost=Decimal("9.9")))
            assert await writer.flush()
            writer.sink(record("dup", cost=Decimal("7")))
            writer.sink(record("other"))
            assert await writer.flush()
            rows = await rows_by_id(engine)
        assert set(rows) == {"dup", "other"}
        assert Decimal(rows["dup"]["cost"]) == Decimal("1.5")  # the first write wins

    asyncio.run(scenario())


def test_batches_are_bounded_by_batch_size(store_env: Env) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), batch_size=3)
            for n in range(8):
                writer.sink(record(f"b-{n}"))
            assert await writer.flush()
            assert writer.written == 8 and writer.queued == 0
            assert await count_rows(engine) == 8

    asyncio.run(scenario())


def test_database_unavailable_then_back_loses_nothing(store_env: Env) -> None:
    """No table yet stands in for a database that refuses writes: every batch goes to the spool,
    and the first flush after the database is back replays it."""
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir, migrated=False) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), batch_size=2)
            for n in range(5):
                writer.sink(record(f"o-{n}"))
            assert not await writer.flush()
            assert writer.queued == 3  # one batch failed and was spooled; the rest still queued
            assert spool_lines(data_dir) == 2
            assert not await writer.flush()  # still down: the replay fails, the spool is kept
            await migrate(engine)
            assert await writer.flush()
            writer.sink(record("o-after"))
            assert await writer.flush()
            assert set(await rows_by_id(engine)) == {f"o-{n}" for n in range(5)} | {"o-after"}
            assert spool_lines(data_dir) == 0

    asyncio.run(scenario())


def test_full_queue_counts_drops_and_keeps_the_bound(store_env: Env) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), batch_size=2, max_queued=2)
            for n in range(5):
                writer.sink(record(f"q-{n}"))
            assert (writer.queued, writer.dropped) == (2, 3)
            assert await writer.flush()
            assert set(await rows_by_id(engine)) == {"q-0", "q-1"}

    asyncio.run(scenario())


def test_a_backlog_beyond_half_the_bound_goes_to_the_spool_not_memory(store_env: Env) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(
                engine, RequestLogSpool(data_dir), batch_size=2, max_queued=10
            )
            for n in range(10):
                writer.sink(record(f"h-{n}"))
            assert await writer.flush()
            assert writer.spilled > 0 and writer.dropped == 0
            assert spool_lines(data_dir) == writer.spilled
            assert await writer.flush()  # replays the spilled part
            assert await count_rows(engine) == 10
            assert spool_lines(data_dir) == 0

    asyncio.run(scenario())


def test_startup_replays_a_spool_left_by_an_earlier_run(store_env: Env) -> None:
    url, data_dir = store_env
    spool = RequestLogSpool(data_dir)
    spool.append([to_row(record(f"s-{n}"), 1000 + n) for n in range(3)])
    with spool.path.open("ab") as torn:
        torn.write(b'{"request_id": "torn-by-a-cr')  # the previous run died mid-write
    spool.append([to_row(record("s-3"), 1003)])

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir))
            assert await writer.flush()
            rows = await rows_by_id(engine)
        assert set(rows) == {"s-0", "s-1", "s-2", "s-3"}
        assert rows["s-2"]["finished_at_ms"] == 1002
        assert spool_lines(data_dir) == 0

    asyncio.run(scenario())


def test_background_task_writes_full_batches_and_shutdown_flushes_the_rest(
    store_env: Env,
) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir) as engine:
            # an hour-long interval: only a full batch or shutdown can cause a write
            writer = RequestLogWriter(
                engine, RequestLogSpool(data_dir), batch_size=4, flush_interval_s=3600
            )
            writer.start()
            for n in range(4):
                writer.sink(record(f"t-{n}"))
            # wait for the write the full batch triggered (bounded by the test timeout)
            while writer.written < 4:  # noqa: ASYNC110 (the writer exposes counters, not events)
                await asyncio.sleep(0.01)
            writer.sink(record("t-4"))
            writer.sink(record("t-5"))
            await writer.aclose(grace_s=30)
            assert await count_rows(engine) == 6
            assert spool_lines(data_dir) == 0

    asyncio.run(scenario())


def test_shutdown_with_the_database_down_spools_then_the_next_start_writes(
    store_env: Env,
) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        async with opened(url, data_dir, migrated=False) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(data_dir), flush_interval_s=3600)
            writer.start()
            for n in range(3):
                writer.sink(record(f"d-{n}"))
            await writer.aclose(grace_s=30)
            assert spool_lines(data_dir) == 3
            await migrate(engine)
            restarted = RequestLogWriter(engine, RequestLogSpool(data_dir))
            assert await restarted.flush()
            assert set(await rows_by_id(engine)) == {"d-0", "d-1", "d-2"}

    asyncio.run(scenario())


def test_database_and_disk_both_refusing_keeps_records_in_memory(store_env: Env) -> None:
    url, data_dir = store_env
    blocked = data_dir.parent / "not-a-directory"
    blocked.write_text("a file where the spool directory should be")

    async def scenario() -> None:
        async with opened(url, data_dir, migrated=False) as engine:
            writer = RequestLogWriter(engine, RequestLogSpool(blocked), batch_size=2)
            for n in range(3):
                writer.sink(record(f"k-{n}"))
            assert not await writer.flush()
            assert (writer.queued, writer.dropped, writer.spilled) == (3, 0, 0)
            await migrate(engine)
            assert await writer.flush()
            assert await count_rows(engine) == 3

    asyncio.run(scenario())
