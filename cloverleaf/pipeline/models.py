"""`GET /v1/models`: every configured provider's live list, as `provider/model` ids."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cloverleaf.core.errors import GatewayError
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.table import ProviderRoute
from cloverleaf.transport.base import TransportError, UpstreamRequest

if TYPE_CHECKING:
    from cloverleaf.pipeline.gateway import Gateway

log = logging.getLogger("cloverleaf.models")

LIST_TIMEOUT_S = 5.0
CACHE_TTL_S = 60.0


@dataclass(frozen=True, slots=True)
class ModelEntry:
    id: str
    owned_by: str
    created: int


class ModelLister:
    """Fetches each provider's list at most once a minute; a failing provider falls back to the
    models its keys name, so one broken upstream never empties the list."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._refreshed_at: float | None = None

    async def refresh_if_stale(self) -> bool:
        """Fetch every list unless that happened within the cache TTL; True if it fetched."""
        now = time.monotonic()
        if self._refreshed_at is not None and now - self._refreshed_at < CACHE_TTL_S:
            return False
        await self.list()
        return True

    async def list(self) -> list[ModelEntry]:
        routes = list(self._gateway.table.routes.values())
        self._refreshed_at = time.monotonic()
        listed = await asyncio.gather(*(self._provider_models(route) for route in routes))
        entries: list[ModelEntry] = []
        now = int(time.time())
        for route, models in zip(routes, listed, strict=True):
            self._gateway.table.listed_models[route.name] = models
            names = sorted(models | _configured_models(route))
            entries.extend(ModelEntry(f"{route.name}/{name}", route.name, now) for name in names)
            entries.extend(ModelEntry(alias, route.name, now) for alias in sorted(route.aliases()))
        return entries

    async def _provider_models(self, route: ProviderRoute) -> frozenset[str]:
        cached = self._cache.get(route.name)
        if cached is not None and time.monotonic() - cached[0] < CACHE_TTL_S:
            return cached[1]
        models = await self._fetch(route)
        if models is not None:
            self._cache[route.name] = (time.monotonic(), models)
            return models
        return cached[1] if cached else frozenset()

    async def _fetch(self, route: ProviderRoute) -> frozenset[str] | None:
        adapter = route.adapter
        if not route.spec.has_models_endpoint or adapter.models_path is None or not route.keys:
            return None
        key = route.keys[0]
        url = route.url(key, adapter.models_path)
        headers = list(route.extra_headers)
        try:
            if key.token_source is not None:
                await key.token_source.refresh(self._gateway.transport, route.profile)
            headers += auth_headers(
                route.spec, key.credential, method="GET", url=url, headers=headers, body=b""
            )
        except GatewayError as error:
            log.warning("listing models of %s failed: %s", route.name, error.message)
            return None
        profile = replace(route.profile, timeout_s=min(route.profile.timeout_s, LIST_TIMEOUT_S))
        request = UpstreamRequest("GET", url, tuple(headers), b"", profile)
        try:
            response = await self._gateway.transport.send(request)
            try:
                body = await response.read()
            finally:
                await response.aclose()
        except TransportError as exc:
            log.warning("listing models of %s failed: %s", route.name, exc)
            return None
        if response.status != 200:
            log.warning("listing models of %s failed: HTTP %d", route.name, response.status)
            return None
        return adapter.parse_models(body)


def _configured_models(route: ProviderRoute) -> set[str]:
    return {model for key in route.keys for model in key.models}
