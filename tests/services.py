"""Real Postgres and Redis on 127.0.0.1 for the tests that need them.

Unreachable services skip those tests with the reason, except under `CI=true`, where a missing
service fails them: CI must never pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_HOST = os.environ.get("CLOVERLEAF_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("CLOVERLEAF_TEST_PG_PORT", "5432"))
POSTGRES_USER = os.environ.get("CLOVERLEAF_TEST_PG_USER", "postgres")
POSTGRES_DB = "test"
REDIS_URL = os.environ.get("CLOVERLEAF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: tests needing {name} must run)")
    pytest.skip(message)


def require_postgres() -> None:
    require_service("Postgres", POSTGRES_HOST, POSTGRES_PORT)


def require_redis() -> None:
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    require_service("Redis", host or "127.0.0.1", int(port or 6379))


def postgres_url(schema: str | None = None) -> str:
    """`postgresql://` in database `test`; with `schema`, every table lives in that schema."""
    url = f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DB}"
    if schema:
        url += "?options=" + quote(f"-csearch_path={schema}")
    return url


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in database `test`, dropped afterwards: repeatable, isolated runs."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    run_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        run_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run_sql(sql: str) -> None:
    """One statement on the test database, outside any schema under test."""

    async def execute() -> None:
        engine = create_async_engine(
            postgres_url().replace("postgresql://", "postgresql+asyncpg://")
        )
        try:
            async with engine.begin() as connection:
                await connection.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(execute())
