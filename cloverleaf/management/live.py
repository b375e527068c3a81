"""Keep the running router equal to the stored config: rebuild and swap on every change.

Requests in flight keep the table they started with; the next request sees the new one. A
provider whose config did not change keeps its route object, and with it its concurrency
limiter and key-picking state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from cloverleaf.config.providers import GatewayConfig
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.routing.table import ProviderRoute, RoutingTable, build_route
from cloverleaf.storage.loader import config_from_snapshot
from cloverleaf.storage.notify import ChangeFeed
from cloverleaf.storage.repository import ConfigRepository

log = logging.getLogger("cloverleaf.config")


class LiveConfig:
    def __init__(
        self,
        gateway: Gateway,
        repository: ConfigRepository,
        base: GatewayConfig,
        env: Mapping[str, str],
    ) -> None:
        self.gateway = gateway
        self.repository = repository
        self.env = env
        self._base = base
        self._lock = asyncio.Lock()
        self.applied_version = -1
        self.feed: ChangeFeed | None = None

    async def reload(self, version: int | None = None) -> bool:
        """Apply the stored config unless `version` (or newer) is already applied."""
        async with self._lock:
            if version is not None and version <= self.applied_version:
                return False
            snapshot = await self.repository.snapshot()
            if snapshot.version <= self.applied_version:
                return False
            config = config_from_snapshot(snapshot, self._base, self.env)
            self.gateway.table = rebuild(self.gateway.table, config)
            self.applied_version = snapshot.version
            log.info(
                "config version %d applied: providers %s",
                snapshot.version,
                ", ".join(self.gateway.table.routes) or "none",
            )
            return True

    async def changed(self, version: int | None) -> None:
        """After a write by this instance: apply it here, then tell the others."""
        if version is None:
            return
        await self.reload(version)
        if self.feed is not None:
            await self.feed.publish(version)


def rebuild(old: RoutingTable, config: GatewayConfig) -> RoutingTable:
    """A new table for `config`; a provider that cannot be built is left out and logged (the
    API validates before storing, so this only happens to env references or old rows)."""
    routes: dict[str, ProviderRoute] = {}
    for name, provider in config.providers.items():
        try:
            route = build_route(name, provider)
        except ValueError as exc:
            log.error("provider %s left out of routing: %s", name, exc)
            continue
        previous = old.routes.get(name)
        routes[name] = previous if previous is not None and previous == route else route
    table = RoutingTable(routes)
    table.listed_models.update(
        {name: models for name, models in old.listed_models.items() if name in routes}
    )
    return table
