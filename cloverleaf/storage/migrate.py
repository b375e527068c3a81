"""Bring the schema to the latest revision at startup: one transaction, one migrator at a time."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_SCRIPTS = Path(__file__).parent / "migrations"
#: pg_advisory_xact_lock id: instances starting together migrate one after another
_LOCK_ID = 0x436C6F76  # "Clov"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


async def serialize_writers(connection: AsyncConnection) -> None:
    """Postgres: hold a transaction-scoped lock (SQLite's BEGIN IMMEDIATE already does)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})


async def migrate(engine: AsyncEngine) -> str | None:
    """Upgrade to head inside one transaction; returns the revision now in place. A database
    already at head is left untouched."""
    async with engine.begin() as connection:
        await serialize_writers(connection)
        await connection.run_sync(_upgrade)
        return await connection.run_sync(_current)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
