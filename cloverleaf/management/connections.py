"""OmniRoute's view of the same data (API.md §4, C2-C6): one connection per upstream key.

A connection's id is its key id; creating one creates the provider (when missing) and a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.management.bodies import key_body, provider_name
from cloverleaf.management.keys_service import KeyService
from cloverleaf.management.providers_service import ProviderService
from cloverleaf.management.render import render_key
from cloverleaf.storage.repository import DELETED, ConfigRepository, KeyRecord, Snapshot

_TEST_STATUS = {"success": "active", "active": "active"}


def is_connection_create(body: dict[str, Any]) -> bool:
    """OmniRoute's ProviderConnectionCreate (camelCase `url`/`apiKey`) vs Bifrost's body."""
    return "url" in body or "apiKey" in body


def render_connection(key: KeyRecord, base_url: str | None) -> dict[str, Any]:
    document = key.document
    status = document.get("status")
    rendered: dict[str, Any] = {
        "id": key.key_id,
        "provider": key.provider,
        "name": document.get("name") or key.key_id,
        "isActive": document.get("enabled", True) is not False,
        "priority": key.position,
        "testStatus": _test_status(status if isinstance(status, str) else None),
    }
    if base_url:
        rendered["url"] = base_url
    return rendered


def render_connections(snapshot: Snapshot) -> list[dict[str, Any]]:
    urls = {record.name: _base_url(record.document) for record in snapshot.providers}
    return [
        render_connection(key, urls.get(key.provider))
        for record in snapshot.providers
        if record.provider_status != DELETED
        for key in snapshot.keys_of(record.name)
    ]


class ConnectionService:
    def __init__(
        self, repository: ConfigRepository, providers: ProviderService, keys: KeyService
    ) -> None:
        self._repository = repository
        self._providers = providers
        self._keys = keys

    async def create(self, body: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
        name = provider_name(body.get("provider"))
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise bad_request("url is required", param="url")
        if not isinstance(body.get("apiKey"), str) or not body["apiKey"]:
            raise bad_request("apiKey is required", param="apiKey")
        key = {"name": body.get("name") or "", "value": body["apiKey"]}
        key["enabled"] = body.get("isActive", True)
        key_body(key, env)  # reject a bad key before creating anything
        async with self._repository.read() as tx:
            existing = await tx.provider(name)
        if existing is None or existing.provider_status == DELETED:
            await self._providers.add({"provider": name, "network_config": {"base_url": url}})
        elif (_base_url(existing.document) or url).rstrip("/") != url.rstrip("/"):
            raise GatewayError(
                409,
                f"provider {name!r} already uses base_url {_base_url(existing.document)}",
                code="provider_exists",
            )
        record = await self._keys.add(name, key)
        return render_connection(record, url)

    async def find(self, connection_id: str) -> tuple[KeyRecord, str | None] | None:
        async with self._repository.read() as tx:
            key = await tx.key(connection_id)
            if key is None:
                return None
            provider = await tx.provider(key.provider)
        return key, _base_url(provider.document) if provider is not None else None

    async def update(self, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
        found = await self._require(connection_id)
        key, url = found
        if isinstance(body.get("url"), str) and body["url"].rstrip("/") != (url or "").rstrip("/"):
            raise bad_request(
                "a connection's url is its provider's base_url: change it with "
                f"PUT /api/providers/{key.provider}",
                param="url",
            )
        changed = render_key(key)
        if "name" in body:
            changed["name"] = body["name"]
        if "apiKey" in body:
            changed["value"] = body["apiKey"]
        if "isActive" in body:
            changed["enabled"] = body["isActive"]
        record = await self._keys.update(key.provider, key.key_id, changed)
        return render_connection(record, url)

    async def delete(self, connection_id: str) -> dict[str, Any]:
        key, url = await self._require(connection_id)
        record = await self._keys.delete(key.provider, key.key_id)
        return render_connection(record, url)

    async def _require(self, connection_id: str) -> tuple[KeyRecord, str | None]:
        found = await self.find(connection_id)
        if found is None:
            raise GatewayError(
                404, f"no provider or connection named {connection_id!r}", code="not_found"
            )
        return found


def _base_url(document: dict[str, Any]) -> str | None:
    network = document.get("network_config")
    url = network.get("base_url") if isinstance(network, dict) else None
    return url if isinstance(url, str) else None


def _test_status(status: str | None) -> str:
    if status is None:
        return "untested"
    return _TEST_STATUS.get(status, "error")
