"""One async engine per process: a SQLite file in the data dir by default, or Postgres."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_FILE = "cloverleaf.db"


def database_url(configured: str | None, data_dir: Path) -> URL:
    """`postgresql://` / `sqlite:///` as users write them, mapped onto the async drivers."""
    if not configured:
        return make_url(f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE).resolve()}")
    url = make_url(configured)
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise ValueError(
        f"CLOVERLEAF_DATABASE_URL: unsupported database {url.get_backend_name()!r} "
        "(use postgresql://... or sqlite:///path)"
    )


def describe(url: URL) -> str:
    """The URL for logs: never the password."""
    return url.render_as_string(hide_password=True)


def create_engine(url: URL) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    url, server_settings = _libpq_options(url)
    connect_args: dict[str, Any] = {"server_settings": server_settings} if server_settings else {}
    return create_async_engine(url, pool_size=5, pool_pre_ping=True, connect_args=connect_args)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: URL) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control from the driver, so DDL is transactional too
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE: writers queue on busy_timeout instead of failing to upgrade a read lock
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _libpq_options(url: URL) -> tuple[URL, dict[str, str]]:
    """libpq's `?options=-csearch_path%3Dx` as asyncpg server settings (asyncpg has no
    `options`); lets a deployment (or a test) pick a schema with a standard URL."""
    options = url.query.get("options")
    if options is None:
        return url, {}
    text = options if isinstance(options, str) else " ".join(options)
    settings: dict[str, str] = {}
    for part in text.replace("-c ", "-c").split():
        name, sep, value = part.removeprefix("-c").partition("=")
        if not part.startswith("-c") or not sep:
            raise ValueError(f"CLOVERLEAF_DATABASE_URL: unsupported options {text!r}")
        settings[name] = value
    return url.difference_update_query(["options"]), settings
