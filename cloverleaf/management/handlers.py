"""HTTP handlers of the providers and keys API: parse, call the service, render."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from cloverleaf.catalogue import catalogue_from_env
from cloverleaf.core.errors import GatewayError
from cloverleaf.management.connections import (
    ConnectionService,
    is_connection_create,
    render_connection,
    render_connections,
)
from cloverleaf.management.http import read_json_object, send_bifrost_error, send_json
from cloverleaf.management.keys_service import KeyService
from cloverleaf.management.live import LiveConfig
from cloverleaf.management.models_handlers import ModelsHandlers
from cloverleaf.management.models_render import with_listing_status
from cloverleaf.management.models_service import ModelsService
from cloverleaf.management.providers_service import ProviderService
from cloverleaf.management.registry import Handler, path_params
from cloverleaf.management.render import render_key, render_provider
from cloverleaf.server.asgi import HttpRequest, Send
from cloverleaf.storage.repository import DELETED, KeyRecord

log = logging.getLogger("cloverleaf.management")

#: (request, path params) → (status, JSON payload)
Action = Callable[[HttpRequest, Mapping[str, str]], Awaitable[tuple[int, Any]]]


def guarded(action: Action) -> Handler:
    """Every outcome is a JSON answer: GatewayErrors in Bifrost's shape, anything else a 500
    whose details stay in the log."""

    async def handler(request: HttpRequest, send: Send) -> None:
        try:
            status, payload = await action(request, path_params(request))
        except GatewayError as error:
            await send_bifrost_error(send, request.request_id, error)
            return
        except Exception:
            log.exception("management request %s %s failed", request.method, request.path)
            internal = GatewayError(500, "internal error", type="server_error")
            await send_bifrost_error(send, request.request_id, internal)
            return
        await send_json(send, request.request_id, payload, status)

    return handler


class ManagementHandlers:
    def __init__(self, live: LiveConfig) -> None:
        self.providers = ProviderService(live)
        self.keys = KeyService(live, live.env)
        self.connections = ConnectionService(live.repository, self.providers, self.keys)
        self._env = live.env
        self._lister = live.gateway.models
        self.models = ModelsHandlers(ModelsService(self._lister, catalogue_from_env(live.env)))

    async def list_providers(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        """C2: Bifrost's list plus OmniRoute's connection view."""
        snapshot = await self.providers.snapshot()
        active = [r for r in snapshot.providers if r.provider_status != DELETED]
        return 200, {
            "providers": [render_provider(record) for record in active],
            "total": len(active),
            "connections": render_connections(snapshot),
        }

    async def add_provider(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        """C3: `url`/`apiKey` creates an OmniRoute connection (201), else AddProviderRequest."""
        body = await read_json_object(request)
        if is_connection_create(body):
            return 201, await self.connections.create(body, self._env)
        return 200, render_provider(await self.providers.add(body))

    async def get_provider(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        """C4: a provider name, else a connection id."""
        try:
            return 200, render_provider(await self.providers.get(p["provider"]))
        except GatewayError as error:
            found = await self.connections.find(p["provider"]) if error.status == 404 else None
            if found is None:
                raise
            return 200, render_connection(*found)

    async def update_provider(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 200, render_provider(await self.providers.update(p["provider"], body))

    async def patch_connection(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        """C6: OmniRoute updates a connection with PATCH."""
        body = await read_json_object(request)
        return 200, await self.connections.update(p["provider"], body)

    async def delete_provider(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        """C5: a provider name, else a connection id."""
        try:
            return 200, render_provider(await self.providers.delete(p["provider"]))
        except GatewayError as error:
            if error.status != 404 or await self.connections.find(p["provider"]) is None:
                raise
        return 200, await self.connections.delete(p["provider"])

    async def list_keys(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        keys = [self._key_view(record) for record in await self.keys.list(p["provider"])]
        return 200, {"keys": keys, "total": len(keys)}

    async def add_key(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 200, render_key(await self.keys.add(p["provider"], body))

    async def get_key(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        return 200, self._key_view(await self.keys.get(p["provider"], p["key_id"]))

    def _key_view(self, record: KeyRecord) -> dict[str, Any]:
        """The stored key, redacted, with the outcome of its last model listing."""
        listing = self._lister.last_listing(record.provider, record.key_id)
        return with_listing_status(render_key(record), listing)

    async def update_key(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        body = await read_json_object(request)
        return 200, render_key(await self.keys.update(p["provider"], p["key_id"], body))

    async def delete_key(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        return 200, render_key(await self.keys.delete(p["provider"], p["key_id"]))

    async def not_implemented(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        """OmniRoute's static sub-routes are reserved (C7) but not served yet: say so."""
        raise GatewayError(
            501, f"{request.method} {request.path} is not implemented yet", code="not_implemented"
        )
