"""The management routes with their policies and OpenAPI metadata (seed 000 schemas)."""

from __future__ import annotations

from cloverleaf.management.handlers import Action, ManagementHandlers, guarded
from cloverleaf.management.registry import Policy, Route, Schema

_SCHEMAS = "bifrost/schemas/management/providers.yaml#/"
PROVIDER = _SCHEMAS + "ProviderResponse"
KEY = _SCHEMAS + "Key"
ERROR = "bifrost/schemas/inference/common.yaml#/BifrostError"
PROVIDERS = "/api/providers"
ONE_PROVIDER = "/api/providers/{provider}"
KEYS = "/api/providers/{provider}/keys"
ONE_KEY = "/api/providers/{provider}/keys/{key_id}"
TAGS = ("Providers",)
MODEL_TAGS = ("Models",)


def _admin(
    method: str,
    path: str,
    action: Action,
    operation_id: str,
    summary: str,
    *,
    response: Schema | None = None,
    request_body: Schema | None = None,
    status: int = 200,
    tags: tuple[str, ...] = TAGS,
) -> Route:
    responses: dict[int, Schema] = {400: ERROR, 401: ERROR, 404: ERROR, 500: ERROR}
    if response is not None:
        responses[status] = response
    return Route(
        method,
        path,
        guarded(action),
        Policy.ADMIN,
        summary=summary,
        operation_id=operation_id,
        tags=tags,
        request_body=request_body,
        responses=responses,
    )


def management_routes(handlers: ManagementHandlers) -> list[Route]:
    h = handlers
    routes = [
        _admin(
            "GET",
            PROVIDERS,
            h.list_providers,
            "listProviders",
            "List all providers (with OmniRoute's connections)",
            response=_SCHEMAS + "ListProvidersResponse",
        ),
        _admin(
            "POST",
            PROVIDERS,
            h.add_provider,
            "addProvider",
            "Add a provider, or an OmniRoute connection (url/apiKey, 201)",
            response=PROVIDER,
            request_body=_SCHEMAS + "AddProviderRequest",
        ),
        _admin(
            "GET", ONE_PROVIDER, h.get_provider, "getProvider", "Get a provider", response=PROVIDER
        ),
        _admin(
            "PUT",
            ONE_PROVIDER,
            h.update_provider,
            "updateProvider",
            "Replace a provider's settings (keys are separate)",
            response=PROVIDER,
            request_body=_SCHEMAS + "UpdateProviderRequest",
        ),
        _admin(
            "PATCH",
            ONE_PROVIDER,
            h.patch_connection,
            "updateProviderConnection",
            "Update an OmniRoute connection (the parameter is a key id)",
        ),
        _admin(
            "DELETE",
            ONE_PROVIDER,
            h.delete_provider,
            "deleteProvider",
            "Delete a provider",
            response=PROVIDER,
        ),
        _admin(
            "GET",
            KEYS,
            h.list_keys,
            "listProviderKeys",
            "List a provider's keys (values redacted)",
            response=_SCHEMAS + "ListProviderKeysResponse",
        ),
        _admin(
            "POST",
            KEYS,
            h.add_key,
            "createProviderKey",
            "Add a key",
            response=KEY,
            request_body=KEY,
        ),
        _admin(
            "GET", ONE_KEY, h.get_key, "getProviderKey", "Get a key (value redacted)", response=KEY
        ),
        _admin(
            "PUT",
            ONE_KEY,
            h.update_key,
            "updateProviderKey",
            "Replace a key",
            response=KEY,
            request_body=KEY,
        ),
        _admin("DELETE", ONE_KEY, h.delete_key, "deleteProviderKey", "Delete a key", response=KEY),
    ]
    routes += _model_routes(h)
    # API.md §4 Rule 3: OmniRoute's static sub-routes win over {provider}; not served yet
    for method, path in (
        ("GET", "/api/providers/client"),
        ("POST", "/api/providers/validate"),
        ("POST", "/api/providers/test-batch"),
    ):
        routes.append(
            _admin(method, path, h.not_implemented, "", "Reserved (OmniRoute), not implemented")
        )
    return routes


def _model_routes(h: ManagementHandlers) -> list[Route]:
    """`/api/models...`: live model lists per key, merged with the model catalogue."""
    m = h.models
    return [
        _admin(
            "GET",
            "/api/models",
            m.list_models,
            "listModelsManagement",
            "List models (query, provider, keys, limit, unfiltered)",
            response=_SCHEMAS + "ListModelsResponse",
            tags=MODEL_TAGS,
        ),
        _admin(
            "GET",
            "/api/models/details",
            m.list_details,
            "listModelDetailsManagement",
            "List models with the catalogue's context sizes, modalities and prices",
            response=_SCHEMAS + "ListModelDetailsResponse",
            tags=MODEL_TAGS,
        ),
        _admin(
            "GET",
            "/api/models/parameters",
            m.parameters,
            "getModelParameters",
            "One catalogue model's parameter limits and exact prices (model, provider)",
            tags=MODEL_TAGS,
        ),
        _admin(
            "GET",
            "/api/models/base",
            m.base_models,
            "listBaseModels",
            "List the catalogue's base model names (query, provider, limit)",
            tags=MODEL_TAGS,
        ),
    ]
