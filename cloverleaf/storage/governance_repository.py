"""Reads and writes of the governance tables. A write holds the config store's writer lock and
bumps the shared config version in the same transaction, so every instance reloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cloverleaf.governance.models import GovernanceSnapshot, ProviderConfig, VirtualKey
from cloverleaf.storage.governance_rows import (
    READERS,
    Stored,
    provider_config_from,
    provider_config_row,
    row_of,
    virtual_key_from,
)
from cloverleaf.storage.governance_tables import (
    gov_budgets,
    gov_customers,
    gov_model_configs,
    gov_pricing_overrides,
    gov_provider_governance,
    gov_rate_limits,
    gov_routing_rules,
    gov_teams,
    gov_virtual_keys,
    gov_vk_provider_configs,
)
from cloverleaf.storage.migrate import serialize_writers
from cloverleaf.storage.repository import VERSION
from cloverleaf.storage.tables import config_meta


class GovernanceRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def snapshot(self) -> GovernanceSnapshot:
        """Everything at one version, read in one transaction (on Postgres a repeatable-read
        one, so a concurrent write cannot show up in some tables and not others)."""
        async with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execution_options(isolation_level="REPEATABLE READ")
            return await GovernanceTx(connection).snapshot()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[GovernanceTx]:
        """One serialized write transaction; the config version is bumped if anything changed."""
        async with self.engine.begin() as connection:
            await serialize_writers(connection)
            tx = GovernanceTx(connection)
            yield tx
            if tx.changed:
                tx.version = await _version(connection) + 1
                await _set_version(connection, tx.version)


class GovernanceTx:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self.changed = False
        self.version: int | None = None

    async def snapshot(self) -> GovernanceSnapshot:
        version = await _version(self._conn)
        loaded: dict[Any, dict[str, Any]] = {}
        for table, reader in READERS.items():
            key = "provider" if table is gov_provider_governance else "id"
            rows = await self._conn.execute(select(table))
            loaded[table] = {row._mapping[key]: reader(row._mapping) for row in rows}
        keys = await self._virtual_keys()
        return GovernanceSnapshot(
            version=version,
            budgets=loaded[gov_budgets],
            rate_limits=loaded[gov_rate_limits],
            virtual_keys=keys,
            teams=loaded[gov_teams],
            customers=loaded[gov_customers],
            model_configs=loaded[gov_model_configs],
            provider_governance=loaded[gov_provider_governance],
            pricing_overrides=loaded[gov_pricing_overrides],
            routing_rules=loaded[gov_routing_rules],
            keys_by_hash={key.value_hash: key for key in keys.values()},
        )

    async def save(self, obj: Stored) -> None:
        """Insert or replace (a virtual key with its provider configs)."""
        table, pk, values = row_of(obj)
        where = table.c[pk] == values[pk]
        result = await self._conn.execute(update(table).where(where).values(**values))
        if result.rowcount == 0:
            await self._conn.execute(insert(table).values(**values))
        if isinstance(obj, VirtualKey):
            await self._replace_configs(obj)
        self.changed = True

    async def delete(self, obj: Stored) -> None:
        table, pk, values = row_of(obj)
        await self._conn.execute(delete(table).where(table.c[pk] == values[pk]))
        if isinstance(obj, VirtualKey):
            configs = gov_vk_provider_configs
            await self._conn.execute(delete(configs).where(configs.c.virtual_key_id == obj.id))
        self.changed = True

    async def _replace_configs(self, key: VirtualKey) -> None:
        configs = gov_vk_provider_configs
        await self._conn.execute(delete(configs).where(configs.c.virtual_key_id == key.id))
        rows = [provider_config_row(c, i) for i, c in enumerate(key.provider_configs)]
        if rows:
            await self._conn.execute(insert(configs), rows)

    async def _virtual_keys(self) -> dict[str, VirtualKey]:
        query = select(gov_vk_provider_configs).order_by(
            gov_vk_provider_configs.c.virtual_key_id, gov_vk_provider_configs.c.position
        )
        configs: dict[str, list[ProviderConfig]] = defaultdict(list)
        for row in await self._conn.execute(query):
            config = provider_config_from(row._mapping)
            configs[config.virtual_key_id].append(config)
        rows = await self._conn.execute(select(gov_virtual_keys))
        return {
            row._mapping["id"]: virtual_key_from(row._mapping, tuple(configs[row._mapping["id"]]))
            for row in rows
        }


async def _version(connection: AsyncConnection) -> int:
    query = select(config_meta.c.value).where(config_meta.c.name == VERSION)
    value = (await connection.execute(query)).scalar()
    return int(value) if value is not None else 0


async def _set_version(connection: AsyncConnection, version: int) -> None:
    where = config_meta.c.name == VERSION
    result = await connection.execute(update(config_meta).where(where).values(value=str(version)))
    if result.rowcount == 0:
        await connection.execute(insert(config_meta).values(name=VERSION, value=str(version)))
