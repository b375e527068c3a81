"""OmniRoute's `/api/keys` (conflict C8): the gateway's client keys — the same objects as
Bifrost's virtual keys, made and deleted by the same service — in OmniRoute's camelCase shape.
The full key appears once, in the create answer; listings show its last 4 characters.

OmniRoute keys are not scoped per provider, and a virtual key with no provider config may use
nothing, so a key made here gets a config (every model) for each provider routed at that moment;
narrow or widen it through `/api/governance/virtual-keys/{id}`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from cloverleaf.governance.models import VirtualKey
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.governance.validate import req_str
from cloverleaf.management.governance_handlers import read_body
from cloverleaf.management.governance_keys import ProviderKeys, VirtualKeyService
from cloverleaf.management.governance_render import Renderer, when
from cloverleaf.management.handlers import guarded
from cloverleaf.management.registry import Policy, Route
from cloverleaf.server.asgi import HttpRequest

ERROR = "bifrost/schemas/inference/common.yaml#/BifrostError"
TAGS = ("OmniRoute API Keys",)


class OmniRouteKeyCreate(BaseModel):
    label: str


class OmniRouteApiKey(BaseModel):
    """Seed 004's ApiKey."""

    id: str
    label: str
    keyPreview: str
    isActive: bool
    createdAt: str


class OmniRouteKeyList(BaseModel):
    keys: list[OmniRouteApiKey]


class OmniRouteCreatedKey(OmniRouteApiKey):
    #: the full key: shown in this answer only
    key: str


def render_api_key(key: VirtualKey, value: str | None = None) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": key.id,
        "label": key.name,
        "keyPreview": key.value_preview,
        "isActive": key.is_active,
        "createdAt": when(key.created_at),
    }
    if value is not None:
        rendered["key"] = value
    return rendered


class OmniRouteKeys:
    def __init__(
        self, store: GovernanceStore, providers: Callable[[], list[str]], keys_of: ProviderKeys
    ) -> None:
        self.store = store
        self.keys = VirtualKeyService(store, keys_of)
        self._providers = providers

    async def list(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        snapshot = await self.store.read(from_memory=False)
        ordered = Renderer(snapshot, self.store.usage_for(snapshot)).sorted_keys()
        return 200, {"keys": [render_api_key(key) for key in ordered]}

    async def create(self, request: HttpRequest, _: Mapping[str, str]) -> tuple[int, Any]:
        label = req_str(await read_body(request), "label")
        configs = [{"provider": name} for name in sorted(self._providers())]
        snapshot, key_id, value = await self.keys.create(
            {"name": label, "provider_configs": configs}
        )
        return 201, render_api_key(snapshot.virtual_keys[key_id], value)

    async def delete(self, request: HttpRequest, p: Mapping[str, str]) -> tuple[int, Any]:
        await self.keys.delete(p["id"])
        return 200, {"success": True, "message": "Key deleted"}


def omniroute_key_routes(
    store: GovernanceStore, providers: Callable[[], list[str]], keys_of: ProviderKeys
) -> list[Route]:
    keys = OmniRouteKeys(store, providers, keys_of)
    errors = {400: ERROR, 401: ERROR, 404: ERROR, 500: ERROR}
    return [
        Route(
            "GET",
            "/api/keys",
            guarded(keys.list),
            Policy.ADMIN,
            summary="List client API keys (last 4 characters shown)",
            operation_id="listApiKeys",
            tags=TAGS,
            responses={200: OmniRouteKeyList, **errors},
        ),
        Route(
            "POST",
            "/api/keys",
            guarded(keys.create),
            Policy.ADMIN,
            summary="Create a client API key (the full key is shown once)",
            operation_id="createApiKey",
            tags=TAGS,
            request_body=OmniRouteKeyCreate,
            responses={201: OmniRouteCreatedKey, **errors},
        ),
        Route(
            "DELETE",
            "/api/keys/{id}",
            guarded(keys.delete),
            Policy.ADMIN,
            summary="Delete a client API key",
            operation_id="deleteApiKey",
            tags=TAGS,
            responses=errors,
        ),
    ]
