"""The request log writer: the request path hands it a finished request's record and moves on;
a background task writes records in batches, one multi-row INSERT ... ON CONFLICT (request_id)
DO NOTHING each, so a retried or replayed batch never duplicates a row.

Bounded and lossless in the ordinary failures:
- `sink` only appends to an in-memory queue of at most `max_queued` records: no await, no I/O.
- A batch the database refuses (down, timing out) goes to the on-disk spool
  (`RequestLogSpool`) and the writer backs off exponentially; while it waits, full batches go
  straight to the spool, so memory stays bounded during an outage. When the database answers
  again the spool is replayed first (and on every startup, for what a previous run left).
- While the database is merely slower than the traffic, the queue beyond half its bound is
  spilled to the spool instead of waiting.
- Shutdown writes what is queued within the grace period and spools the rest.
Only when the queue is full *and* the background task cannot keep up (the disk is failing too,
or the event loop is starved) does `sink` drop a record: it counts it in `dropped`, and the
writer logs each burst of drops once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert

from cloverleaf.core.usage import Usage
from cloverleaf.storage.request_log_spool import RequestLogSpool, Row, SpoolReader
from cloverleaf.storage.request_log_table import (
    ID_LENGTH,
    MODEL_LENGTH,
    PROVIDER_LENGTH,
    REQUEST_TYPE_LENGTH,
    request_log,
)

log = logging.getLogger("cloverleaf.storage")

#: rows per INSERT: 16 columns x 1000 stays under every driver's bind-parameter limit
MAX_BATCH = 1000
COLUMNS = tuple(column.name for column in request_log.columns)
#: columns added after rows were first spooled (migration 0005): an older spool lacks them
ADDED_COLUMNS = ("request_type", "images", "audio_seconds", "characters")


class LoggedRequest(Protocol):
    """What the writer reads from a finished request (the pipeline's `RequestRecord`)."""

    @property
    def request_id(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def status(self) -> int: ...
    @property
    def stream(self) -> bool: ...
    @property
    def remote_ms(self) -> float: ...
    @property
    def usage(self) -> Usage | None: ...
    @property
    def client_key_id(self) -> str | None: ...
    @property
    def cost(self) -> Decimal | None: ...
    @property
    def unpriced(self) -> bool: ...
    @property
    def request_type(self) -> str: ...


def to_row(record: LoggedRequest, finished_at_ms: int) -> Row:
    """The record as a `request_log` row; text is cut to the column sizes so a long model
    name can never make a batch fail forever."""
    usage = record.usage
    cost = record.cost
    client_key_id = record.client_key_id
    return {
        "request_id": record.request_id[:ID_LENGTH],
        "finished_at_ms": finished_at_ms,
        "provider": record.provider[:PROVIDER_LENGTH],
        "model": record.model[:MODEL_LENGTH],
        "status": record.status,
        "stream": record.stream,
        "remote_ms": float(record.remote_ms),
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "total_tokens": usage.total_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "cache_write_tokens": usage.cache_write_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "cost": str(cost) if cost is not None else None,
        "unpriced": record.unpriced,
        "client_key_id": client_key_id[:ID_LENGTH] if client_key_id is not None else None,
        "request_type": record.request_type[:REQUEST_TYPE_LENGTH],
        "images": usage.images or None if usage else None,
        "audio_seconds": str(usage.audio_seconds) if usage and usage.audio_seconds else None,
        "characters": usage.characters or None if usage else None,
    }


class RequestLogWriter:
    """Call `start()` on the event loop, pass `sink` to the gateway, `aclose()` at shutdown.
    `sink` must be called on the writer's event loop (the pipeline's coroutines are)."""

    def __init__(
        self,
        engine: AsyncEngine,
        spool: RequestLogSpool,
        *,
        batch_size: int = 500,
        flush_interval_s: float = 0.5,
        max_queued: int = 50_000,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        write_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"request log batch size must be 1..{MAX_BATCH}")
        self._insert = _insert_for(engine.dialect.name)
        self._sqlite = engine.dialect.name == "sqlite"
        self.engine = engine
        self.spool = spool
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_queued = max(max_queued, batch_size)
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.write_timeout_s = write_timeout_s
        self._clock = clock
        #: a record and when it finished, or a row put back after the disk refused it
        self._queue: deque[tuple[LoggedRequest, int] | Row] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._spool_pending = True  # a previous run may have left a spool
        self._backoff_s = 0.0
        self._retry_at = 0.0
        self._dropped_in_burst = 0
        #: counters, for health and tests
        self.written = 0
        self.spilled = 0
        self.dropped = 0

    @property
    def queued(self) -> int:
        return len(self._queue)

    def sink(self, record: LoggedRequest) -> None:
        """O(1), never blocks, never raises on a full queue: see the module docstring."""
        queue = self._queue
        if len(queue) >= self.max_queued:
            self.dropped += 1
            self._dropped_in_burst += 1
            self._wake.set()
            return
        queue.append((record, int(self._clock() * 1000)))
        if len(queue) >= self.batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def flush(self) -> bool:
        """Replay the spool, then write everything queued. True when all of it reached the
        database; otherwise what failed is in the spool (nothing is lost either way)."""
        try:
            await self._replay()
            await self._drain()
        except Exception as error:  # any database failure: the batch is already spooled
            log.warning("request log: database write failed, spooling: %s", _describe(error))
            return False
        return True

    async def aclose(self, grace_s: float) -> None:
        """Stop the background task, write what is queued within `grace_s`, spool the rest."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        if not self._in_backoff():  # a database known to be down is not waited for
            try:
                async with asyncio.timeout(grace_s):
                    while self._queue:
                        await self._write_or_spill(self._take())
            except TimeoutError:
                log.warning("request log: shutdown grace over, spooling %d records", self.queued)
            except Exception as error:  # the failed batch is spooled already
                log.warning("request log: final write failed: %s", _describe(error))
        await self._spill_all()
        self._report_drops()

    async def _run(self) -> None:
        """A cycle at once (replaying what an earlier run spooled), then one per full batch
        or per interval."""
        while not self._closing:
            try:
                await self._cycle()
            except OSError:
                self._back_off()  # the spool refused too (already logged): retry later
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval_s)
            self._wake.clear()
            self._report_drops()

    async def _cycle(self) -> None:
        if self._in_backoff():
            while len(self._queue) >= self.batch_size:
                await self._spill(self._take())
        elif await self.flush():
            self._backoff_s = 0.0
        else:
            self._back_off()

    def _back_off(self) -> None:
        self._backoff_s = min(self.backoff_max_s, max(self.backoff_initial_s, self._backoff_s * 2))
        self._retry_at = time.monotonic() + self._backoff_s

    def _in_backoff(self) -> bool:
        return time.monotonic() < self._retry_at

    async def _drain(self) -> None:
        high_water = self.max_queued // 2
        while self._queue and not self._closing:
            while len(self._queue) > high_water + self.batch_size:
                await self._spill(self._take())  # the database is behind: disk is faster
            await self._write_or_spill(self._take())

    async def _replay(self) -> None:
        if not self._spool_pending:
            return
        try:
            paths = await asyncio.to_thread(self.spool.claim)
        except OSError as error:  # a broken spool dir must not stop writes to the database
            log.error("request log: cannot read the spool in %s: %s", self.spool.directory, error)
            return
        for path in paths:
            reader = SpoolReader(path, COLUMNS, ADDED_COLUMNS)
            try:
                while rows := await asyncio.to_thread(reader.next_batch, self.batch_size):
                    await self._write(rows)
                    if self._closing:
                        return  # the file stays claimed; the next start replays it
                await asyncio.to_thread(reader.finish)
            finally:
                await asyncio.to_thread(reader.close)
        self._spool_pending = False

    def _take(self) -> list[Row]:
        queue = self._queue
        count = min(self.batch_size, len(queue))
        rows: list[Row] = []
        for _ in range(count):
            entry = queue.popleft()
            rows.append(entry if isinstance(entry, dict) else to_row(*entry))
        return rows

    async def _spill_all(self) -> None:
        while self._queue:
            try:
                await self._spill(self._take())
            except OSError:  # no database, no disk: nothing left to keep them in
                log.error("request log: dropping %d records at shutdown", self.queued)
                self.dropped += self.queued
                self._queue.clear()

    async def _write_or_spill(self, rows: list[Row]) -> None:
        try:
            await self._write(rows)
        except BaseException:
            await asyncio.shield(self._spill(rows))
            raise

    async def _write(self, rows: Sequence[Row]) -> None:
        async with asyncio.timeout(self.write_timeout_s), self.engine.begin() as connection:
            if self._sqlite:  # the driver's own executemany: no per-row SQLAlchemy processing
                values = [tuple(row[column] for column in _COLUMNS) for row in rows]
                await connection.exec_driver_sql(_SQLITE_INSERT, values)
            else:
                await connection.execute(self._insert, list(rows))
        self.written += len(rows)

    async def _spill(self, rows: list[Row]) -> None:
        try:
            await asyncio.to_thread(self.spool.append, rows)
        except OSError as error:
            kept = self._requeue(rows)
            log.error(
                "request log: cannot spool to %s (%s); kept %d rows in memory, dropped %d",
                self.spool.path,
                error,
                kept,
                len(rows) - kept,
            )
            raise
        self.spilled += len(rows)
        self._spool_pending = True

    def _requeue(self, rows: list[Row]) -> int:
        """A batch the disk refused too goes back in memory, as far as the bound allows."""
        room = max(0, self.max_queued - len(self._queue))
        kept = rows[:room]
        self._queue.extendleft(reversed(kept))
        self.dropped += len(rows) - len(kept)
        return len(kept)

    def _report_drops(self) -> None:
        if self._dropped_in_burst:
            log.error(
                "request log: queue full (%d records); dropped %d records (%d in total)",
                self.max_queued,
                self._dropped_in_burst,
                self.dropped,
            )
            self._dropped_in_burst = 0


_COLUMNS = tuple(column.name for column in request_log.columns)
#: rows are plain values (text, numbers, booleans), so sqlite3 binds them as they are
_SQLITE_INSERT = (
    f"INSERT INTO {request_log.name} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (request_id) DO NOTHING"
)


def _insert_for(dialect: str) -> Insert:
    """One INSERT that skips request ids already written, in the dialect's words, executed with
    a batch of rows as parameters: compiled once and cached, where a multi-row `.values(rows)`
    would be compiled anew for every batch on the event loop (most of a busy gateway's CPU)."""
    if dialect == "postgresql":
        return postgresql.insert(request_log).on_conflict_do_nothing(index_elements=["request_id"])
    if dialect == "sqlite":
        return sqlite.insert(request_log).on_conflict_do_nothing(index_elements=["request_id"])
    raise ValueError(f"request log: unsupported database {dialect!r}")


def _describe(error: BaseException) -> str:
    """One line, no SQL parameters (rows hold no secrets, but logs need no bodies either)."""
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.splitlines()[0][:300]
