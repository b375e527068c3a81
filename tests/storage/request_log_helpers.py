"""Records, engines and row reads shared by the request-log tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cloverleaf.core.usage import Usage
from cloverleaf.pipeline.gateway import RequestRecord
from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.migrate import migrate
from cloverleaf.storage.request_log_table import request_log

FIXED_NOW_S = 1_790_000_000.123
USAGE = Usage(10, 5, 15, 4, 2, 3)


def record(
    request_id: str,
    *,
    cost: Decimal | None = Decimal("0.000125"),
    usage: Usage | None = USAGE,
    client_key_id: str | None = "vk-1",
    stream: bool = False,
) -> RequestRecord:
    return RequestRecord(
        request_id=request_id,
        provider="openai",
        model="gpt-4o-mini",
        status=200,
        stream=stream,
        remote_ms=12.5,
        usage=usage,
        client_key_id=client_key_id,
        cost=cost,
        unpriced=cost is None,
    )


@asynccontextmanager
async def opened(
    url: str | None, data_dir: Path, *, migrated: bool = True
) -> AsyncIterator[AsyncEngine]:
    """The store's engine for this backend, migrated to head unless told otherwise."""
    engine = create_engine(database_url(url, data_dir))
    try:
        if migrated:
            await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


async def count_rows(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(request_log))).scalar_one()
        )


async def rows_by_id(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(request_log))
        return {row["request_id"]: dict(row) for row in result.mappings()}


def spool_lines(data_dir: Path) -> int:
    """Rows waiting on disk, in the live spool and in claimed replay files."""
    return sum(len(path.read_bytes().splitlines()) for path in data_dir.glob("request-log.*.jsonl"))
