"""Each configured key's live model list, fetched from its provider's list endpoint.

`GET /v1/models` shows the union as `provider/model` ids; the management API shows it per key,
with the reason when a key's listing failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import ProviderRoute
from cloverleaf.transport.base import TransportError, UpstreamRequest

if TYPE_CHECKING:
    from cloverleaf.pipeline.gateway import Gateway

log = logging.getLogger("cloverleaf.models")

LIST_TIMEOUT_S = 5.0
CACHE_TTL_S = 60.0
LIST_MODELS_FAILED = "list_models_failed"
_MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class ModelEntry:
    id: str
    owned_by: str
    created: int


@dataclass(frozen=True, slots=True)
class KeyListing:
    """What one key's list endpoint said. `error` is set when the last fetch failed; `models`
    then still holds what the key listed before, so one bad fetch never empties the list."""

    key: UpstreamKey
    models: frozenset[str]
    #: False for providers without a list endpoint: nothing was asked
    fetched: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderListing:
    route: ProviderRoute
    keys: tuple[KeyListing, ...]

    @property
    def listed(self) -> frozenset[str]:
        return frozenset().union(*(k.models for k in self.keys))


@dataclass(frozen=True, slots=True)
class _Cached:
    at: float
    route: ProviderRoute
    listing: KeyListing


class ModelLister:
    """Fetches each key's list at most once a minute (a changed provider config is a new route
    and is fetched again at once)."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._refreshed_at: float | None = None

    async def refresh_if_stale(self) -> bool:
        """Fetch every list unless that happened within the cache TTL; True if it fetched."""
        now = time.monotonic()
        if self._refreshed_at is not None and now - self._refreshed_at < CACHE_TTL_S:
            return False
        await self.list()
        return True

    async def list(self) -> list[ModelEntry]:
        entries: list[ModelEntry] = []
        now = int(time.time())
        for provider in await self.providers():
            route = provider.route
            names = sorted(provider.listed | _configured_models(route))
            entries.extend(ModelEntry(f"{route.name}/{name}", route.name, now) for name in names)
            entries.extend(ModelEntry(alias, route.name, now) for alias in sorted(route.aliases()))
        return entries

    async def providers(self, only: str | None = None) -> tuple[ProviderListing, ...]:
        """Every configured provider (or just `only`) with each enabled key's listing, fetched
        when stale."""
        table = self._gateway.table
        routes = [r for name, r in table.routes.items() if only in (None, name)]
        if only is None:
            self._refreshed_at = time.monotonic()
        fetched = await asyncio.gather(*(self._route_listing(route) for route in routes))
        for listing in fetched:
            table.listed_models[listing.route.name] = listing.listed
        if only is None:
            current = {(p.route.name, k.key.id) for p in fetched for k in p.keys}
            for gone in self._cache.keys() - current:  # deleted keys and providers
                del self._cache[gone]
        return tuple(fetched)

    def last_listing(self, provider: str, key_id: str) -> KeyListing | None:
        """The latest listing of a key of the running config, without fetching."""
        cached = self._cache.get((provider, key_id))
        route = self._gateway.table.routes.get(provider)
        if cached is None or route is None or cached.route is not route:
            return None
        return cached.listing

    async def _route_listing(self, route: ProviderRoute) -> ProviderListing:
        keys = await asyncio.gather(*(self._key_listing(route, key) for key in route.keys))
        return ProviderListing(route, tuple(keys))

    async def _key_listing(self, route: ProviderRoute, key: UpstreamKey) -> KeyListing:
        cache_key = (route.name, key.id)
        cached = self._cache.get(cache_key)
        fresh = cached is not None and time.monotonic() - cached.at < CACHE_TTL_S
        if cached is not None and fresh and cached.route is route:
            return cached.listing
        path = route.adapter.models_path
        if not route.spec.has_models_endpoint or path is None:
            return KeyListing(key, frozenset(), fetched=False)
        outcome = await self._fetch(route, key, path)
        if isinstance(outcome, str):
            log.warning("listing models of %s (key %s) failed: %s", route.name, key.id, outcome)
            before = cached.listing.models if cached is not None else frozenset()
            listing = KeyListing(key, before, fetched=True, error=outcome)
        else:
            listing = KeyListing(key, outcome, fetched=True)
        self._cache[cache_key] = _Cached(time.monotonic(), route, listing)
        return listing

    async def _fetch(
        self, route: ProviderRoute, key: UpstreamKey, path: str
    ) -> frozenset[str] | str:
        """The listed model ids, or why they could not be had (never containing the key)."""
        url = route.url(key, path)
        headers = list(route.extra_headers)
        try:
            if key.token_source is not None:
                await key.token_source.refresh(self._gateway.transport, route.profile)
            headers += auth_headers(
                route.spec, key.credential, method="GET", url=url, headers=headers, body=b""
            )
        except GatewayError as error:
            return _scrub(error.message, key)
        profile = replace(route.profile, timeout_s=min(route.profile.timeout_s, LIST_TIMEOUT_S))
        request = UpstreamRequest("GET", url, tuple(headers), b"", profile)
        try:
            response = await self._gateway.transport.send(request)
            try:
                body = await response.read()
            finally:
                await response.aclose()
        except TransportError as exc:
            return _scrub(str(exc) or type(exc).__name__, key)
        if response.status != 200:
            return _scrub(f"HTTP {response.status}{_upstream_message(body)}", key)
        models = route.adapter.parse_models(body)
        if models is None:
            return "the response is not a model list"
        return models


def _configured_models(route: ProviderRoute) -> set[str]:
    return {model for key in route.keys for model in key.models}


def _upstream_message(body: bytes) -> str:
    """The provider's own error message, when its body has one (`{"error": {"message"}}`,
    `{"message"}`, `{"error": "..."}`)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error", data)
    message = error.get("message") if isinstance(error, dict) else error
    return f": {message}" if isinstance(message, str) and message else ""


def _scrub(reason: str, key: UpstreamKey) -> str:
    """Upstream messages may quote what they were sent: never let the key through."""
    secrets = [key.secret, key.aws.secret_key if key.aws else ""]
    if key.token_source is not None:
        with contextlib.suppress(RuntimeError):  # never obtained: nothing to leak
            secrets.append(key.token_source.token)
    for secret in secrets:
        if len(secret) >= 4:
            reason = reason.replace(secret, "[redacted]")
    return reason[:_MAX_REASON]
