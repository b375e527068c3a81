"""Migrations from an empty database; re-running them changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import inspect

from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.migrate import current_revision, head_revision, migrate


def test_migrate_from_empty_then_again_is_a_no_op(store_env: tuple[str | None, Path]) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        engine = create_engine(database_url(url, data_dir))
        try:
            assert await current_revision(engine) is None
            assert await migrate(engine) == head_revision()
            async with engine.connect() as connection:
                tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert {"providers", "provider_keys", "config_meta", "alembic_version"} <= tables
            assert await migrate(engine) == head_revision()
            assert await current_revision(engine) == head_revision()
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    async def scenario() -> str:
        engine = create_engine(database_url(None, tmp_path))
        try:
            await migrate(engine)
            async with engine.connect() as connection:
                mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            return str(mode)
        finally:
            await engine.dispose()

    assert asyncio.run(scenario()) == "wal"
