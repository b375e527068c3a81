"""Build the OpenAPI 3.1 document from the route table: the table is the only source of truth,
so a route cannot be served without being documented."""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from cloverleaf import __version__
from cloverleaf.management.registry import Policy, Route
from cloverleaf.openapi.bundle import SchemaBundle

OPENAPI_VERSION = "3.1.0"
#: the parameter a prefix route's documented path ends with (`/v1beta/models/{path}`)
PREFIX_PARAM = "path"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WORD = re.compile(r"[A-Za-z0-9]+")
_SECURITY_SCHEMES = {
    "adminKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "CLOVERLEAF_ADMIN_KEY; on a loopback bind without one, localhost only",
    },
    "oidc": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "With ENABLE_AUTH=true: a JWT from OIDC_ISSUER_URL for OIDC_CLIENT_ID",
    },
}
_SECURITY: dict[Policy, list[dict[str, list[str]]]] = {
    Policy.PUBLIC: [],
    # client credentials are optional until ENABLE_AUTH=true asks for the issuer's JWT
    Policy.CLIENT: [{}, {"oidc": []}],
    Policy.ADMIN: [{"adminKey": []}, {"oidc": []}],
}


def documented_path(route: Route) -> str:
    """The OpenAPI path of a route: templates as they are, prefixes with a trailing parameter."""
    if route.prefix:
        return route.path.rstrip("/") + "/{" + PREFIX_PARAM + "}"
    return route.path


def _operation_id(route: Route, taken: set[str]) -> str:
    """The route's own id, or one made from method and path; unique in the document."""
    base = route.operation_id
    if not base:
        words = _WORD.findall(_PARAM.sub(r"by \1", documented_path(route)))
        base = route.method.lower() + "".join(word[:1].upper() + word[1:] for word in words)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _parameters(route: Route, path: str) -> list[dict[str, Any]]:
    parameters = []
    for name in _PARAM.findall(path):
        parameter: dict[str, Any] = {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        }
        if route.prefix and name == PREFIX_PARAM:
            parameter["description"] = f"the rest of the path under {route.path}"
        parameters.append(parameter)
    return parameters


def _responses(route: Route, bundle: SchemaBundle) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in sorted(route.responses.items()):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": bundle.schema(schema)}},
        }
    if not any(200 <= status < 300 for status in route.responses):
        responses["default"] = {"description": "the answer in this route's API dialect"}
    return responses


def _operation(route: Route, path: str, bundle: SchemaBundle, taken: set[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": _operation_id(route, taken),
        "summary": route.summary or f"{route.method} {path}",
        "tags": list(route.tags) or ["Other"],
        "security": _SECURITY[route.policy],
        "responses": _responses(route, bundle),
    }
    parameters = _parameters(route, path)
    if parameters:
        operation["parameters"] = parameters
    if route.request_body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": bundle.schema(route.request_body)}},
        }
    return operation


def build_document(routes: Iterable[Route]) -> dict[str, Any]:
    bundle = SchemaBundle()
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    tags: list[str] = []
    ordered = sorted(routes, key=lambda r: (documented_path(r), r.method))
    for route in ordered:
        path = documented_path(route)
        operation = _operation(route, path, bundle, taken)
        paths.setdefault(path, {})[route.method.lower()] = operation
        tags += [tag for tag in operation["tags"] if tag not in tags]
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Cloverleaf",
            "version": __version__,
            "description": "A self-hosted LLM gateway: every route it serves, with its auth.",
        },
        "tags": [{"name": tag} for tag in sorted(tags)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(bundle.components.items())),
            "securitySchemes": _SECURITY_SCHEMES,
        },
    }
