"""Reads and writes of the config store. Every write bumps the config version in the same
transaction, which is how other instances learn that something changed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cloverleaf.storage.crypto import Sealer
from cloverleaf.storage.documents import Document
from cloverleaf.storage.migrate import serialize_writers
from cloverleaf.storage.tables import config_meta, provider_keys, providers

VERSION = "config_version"
_KEY_CHECK = "master_key_check"
_KEY_CHECK_TEXT = b"cloverleaf master key check"

ACTIVE = "active"
DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    name: str
    document: Document
    #: "file" (imported, the file still owns it) or "api" (changed through the API)
    source: str = "api"
    config_hash: str | None = None
    provider_status: str = ACTIVE


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    provider: str
    document: Document
    config_hash: str | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole stored config at one version, read in one transaction."""

    version: int
    providers: list[ProviderRecord]
    keys: list[KeyRecord] = field(default_factory=list)

    def keys_of(self, provider: str) -> list[KeyRecord]:
        return [key for key in self.keys if key.provider == provider]


class ConfigRepository:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer

    async def version(self) -> int:
        async with self.engine.connect() as connection:
            return await _version(connection)

    async def snapshot(self) -> Snapshot:
        async with self.engine.connect() as connection:
            tx = StoreTx(connection, self._sealer)
            version = await _version(connection)
            return Snapshot(version, await tx.providers(), await tx.all_keys())

    @asynccontextmanager
    async def read(self) -> AsyncIterator[StoreTx]:
        """Reads only; no lock is taken."""
        async with self.engine.connect() as connection:
            yield StoreTx(connection, self._sealer)

    async def check_master_key(self) -> None:
        """Fail at startup, not at the first read, when the master key changed."""
        async with self.write() as tx:
            stored = await tx.meta(_KEY_CHECK)
            if stored is None:
                await tx.set_meta(_KEY_CHECK, self._sealer.seal(_KEY_CHECK_TEXT, _KEY_CHECK))
            else:
                self._sealer.open(stored, _KEY_CHECK)
            tx.changed = False  # not a config change

    @asynccontextmanager
    async def write(self) -> AsyncIterator[StoreTx]:
        """One serialized write transaction; the version is bumped if anything changed."""
        async with self.engine.begin() as connection:
            await serialize_writers(connection)
            tx = StoreTx(connection, self._sealer)
            yield tx
            if tx.changed:
                tx.version = await _version(connection) + 1
                await tx.set_meta(VERSION, str(tx.version))


class StoreTx:
    """The operations of one transaction. `version` is set after a write that changed data."""

    def __init__(self, connection: AsyncConnection, sealer: Sealer) -> None:
        self._conn = connection
        self._sealer = sealer
        self.changed = False
        self.version: int | None = None

    async def providers(self) -> list[ProviderRecord]:
        query = select(providers).order_by(providers.c.position, providers.c.name)
        rows = await self._conn.execute(query)
        return [self._provider(row._mapping) for row in rows]

    async def provider(self, name: str) -> ProviderRecord | None:
        rows = await self._conn.execute(select(providers).where(providers.c.name == name))
        row = rows.first()
        return self._provider(row._mapping) if row is not None else None

    async def all_keys(self) -> list[KeyRecord]:
        query = select(provider_keys).order_by(provider_keys.c.provider_name, "position")
        return [self._key(row._mapping) for row in await self._conn.execute(query)]

    async def keys(self, provider: str) -> list[KeyRecord]:
        query = (
            select(provider_keys)
            .where(provider_keys.c.provider_name == provider)
            .order_by(provider_keys.c.position)
        )
        return [self._key(row._mapping) for row in await self._conn.execute(query)]

    async def key(self, key_id: str) -> KeyRecord | None:
        query = select(provider_keys).where(provider_keys.c.key_id == key_id)
        row = (await self._conn.execute(query)).first()
        return self._key(row._mapping) if row is not None else None

    async def save_provider(self, record: ProviderRecord) -> None:
        values = {
            "source": record.source,
            "config_hash": record.config_hash,
            "provider_status": record.provider_status,
            "sealed": self._seal(record.document, f"provider:{record.name}"),
            "updated_at_ms": _now_ms(),
        }
        where = providers.c.name == record.name
        result = await self._conn.execute(update(providers).where(where).values(**values))
        if result.rowcount == 0:
            last = (await self._conn.execute(select(func.max(providers.c.position)))).scalar()
            position = (last or 0) + 1
            await self._conn.execute(
                insert(providers).values(name=record.name, position=position, **values)
            )
        self.changed = True

    async def delete_provider(self, name: str) -> None:
        await self._conn.execute(delete(provider_keys).where(provider_keys.c.provider_name == name))
        await self._conn.execute(delete(providers).where(providers.c.name == name))
        self.changed = True

    async def save_key(self, record: KeyRecord) -> KeyRecord:
        """Insert (appended after the provider's other keys) or update in place."""
        values = {
            "provider_name": record.provider,
            "config_hash": record.config_hash,
            "sealed": self._seal(record.document, f"key:{record.key_id}"),
            "updated_at_ms": _now_ms(),
        }
        where = provider_keys.c.key_id == record.key_id
        result = await self._conn.execute(update(provider_keys).where(where).values(**values))
        self.changed = True
        if result.rowcount:
            return record
        last = select(func.max(provider_keys.c.position)).where(
            provider_keys.c.provider_name == record.provider
        )
        position = ((await self._conn.execute(last)).scalar() or 0) + 1
        await self._conn.execute(
            insert(provider_keys).values(key_id=record.key_id, position=position, **values)
        )
        return replace(record, position=position)

    async def delete_key(self, key_id: str) -> None:
        await self._conn.execute(delete(provider_keys).where(provider_keys.c.key_id == key_id))
        self.changed = True

    async def delete_keys_of(self, provider: str) -> None:
        where = provider_keys.c.provider_name == provider
        await self._conn.execute(delete(provider_keys).where(where))
        self.changed = True

    async def meta(self, name: str) -> str | None:
        query = select(config_meta.c.value).where(config_meta.c.name == name)
        value: str | None = (await self._conn.execute(query)).scalar()
        return value

    async def set_meta(self, name: str, value: str) -> None:
        where = config_meta.c.name == name
        result = await self._conn.execute(update(config_meta).where(where).values(value=value))
        if result.rowcount == 0:
            await self._conn.execute(insert(config_meta).values(name=name, value=value))

    def _seal(self, document: Document, aad: str) -> str:
        return self._sealer.seal(orjson.dumps(document), aad)

    def _open(self, sealed: str, aad: str) -> Document:
        document: Document = orjson.loads(self._sealer.open(sealed, aad))
        return document

    def _provider(self, row: Any) -> ProviderRecord:
        return ProviderRecord(
            name=row["name"],
            document=self._open(row["sealed"], f"provider:{row['name']}"),
            source=row["source"],
            config_hash=row["config_hash"],
            provider_status=row["provider_status"],
        )

    def _key(self, row: Any) -> KeyRecord:
        return KeyRecord(
            key_id=row["key_id"],
            provider=row["provider_name"],
            document=self._open(row["sealed"], f"key:{row['key_id']}"),
            config_hash=row["config_hash"],
            position=row["position"],
        )


async def _version(connection: AsyncConnection) -> int:
    query = select(config_meta.c.value).where(config_meta.c.name == VERSION)
    value = (await connection.execute(query)).scalar()
    return int(value) if value is not None else 0


def _now_ms() -> int:
    return int(time.time() * 1000)
