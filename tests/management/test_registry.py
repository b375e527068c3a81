"""Routes carry a policy (deny by default), static segments beat parameters, admin auth."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cloverleaf.management.registry import Policy, Route, RouteTable
from cloverleaf.management.render import keep_redacted, redact_secret
from cloverleaf.server.admin_auth import AdminAuth
from cloverleaf.server.asgi import HttpRequest, Message, Send


async def _noop(request: HttpRequest, send: Send) -> None:
    return None


async def _other(request: HttpRequest, send: Send) -> None:
    return None


def _request(headers: list[tuple[bytes, bytes]], client: str = "127.0.0.1") -> HttpRequest:
    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/api/providers",
        "headers": headers,
        "client": (client, 5000),
    }
    return HttpRequest(scope, receive)


def test_a_route_without_a_policy_cannot_be_built() -> None:
    with pytest.raises(TypeError, match="policy"):
        Route("GET", "/x", _noop, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="policy"):
        Route("GET", "/x", _noop, "admin")  # type: ignore[arg-type]


def test_static_routes_win_over_parameters() -> None:
    table = RouteTable()
    table.add(Route("GET", "/api/providers/{provider}", _noop, Policy.ADMIN))
    table.add(Route("GET", "/api/providers/{provider}/keys/{key_id}", _noop, Policy.ADMIN))
    table.add(Route("GET", "/api/providers/client", _other, Policy.ADMIN, summary="static"))
    static = table.find("GET", "/api/providers/client")
    assert static is not None and static.route.handler is _other and not static.params
    match = table.find("GET", "/api/providers/openai")
    assert match is not None and match.params == {"provider": "openai"}
    match = table.find("GET", "/api/providers/openai/keys/k-1")
    assert match is not None and match.params == {"provider": "openai", "key_id": "k-1"}
    assert table.find("POST", "/api/providers/openai") is None
    assert table.find("GET", "/api/providers/a/b") is None
    assert table.knows_path("/api/providers/openai")
    with pytest.raises(ValueError, match="twice"):
        table.add(Route("GET", "/api/providers/client", _noop, Policy.ADMIN))


def test_routes_keep_their_openapi_metadata() -> None:
    route = Route(
        "PUT",
        "/api/providers/{provider}",
        _noop,
        Policy.ADMIN,
        summary="Update a provider",
        operation_id="updateProvider",
        request_body="bifrost/schemas/management/providers.yaml#/UpdateProviderRequest",
        responses={200: "bifrost/schemas/management/providers.yaml#/ProviderResponse"},
    )
    table = RouteTable()
    table.add(route)
    assert table.routes == [route]
    assert route.params == ("provider",)


def test_admin_key_is_a_bearer_token() -> None:
    auth = AdminAuth("the-admin-key")
    assert asyncio.run(auth.check(_request([(b"authorization", b"Bearer the-admin-key")]))) is None
    for header in (b"Bearer wrong", b"Basic the-admin-key", b"Bearer ", b"the-admin-key"):
        error = asyncio.run(auth.check(_request([(b"authorization", header)])))
        assert error is not None and error.status == 401
    error = asyncio.run(auth.check(_request([])))
    assert error is not None and error.status == 401
    assert ("www-authenticate", 'Bearer realm="cloverleaf-admin"') in error.headers


def test_without_an_admin_key_management_is_loopback_only() -> None:
    auth = AdminAuth(None)
    assert asyncio.run(auth.check(_request([], client="127.0.0.1"))) is None
    assert asyncio.run(auth.check(_request([], client="::1"))) is None
    error = asyncio.run(auth.check(_request([], client="10.1.2.3")))
    assert error is not None and error.status == 403


def test_redacted_values_sent_back_keep_the_stored_secret() -> None:
    secret = "sk-abcdefghijklmnopqrstuvwxyz"
    shown = {"value": redact_secret(secret), "env_var": "", "from_env": False}
    stored = {"value": secret}
    assert secret not in str(shown)
    assert keep_redacted(shown, shown, stored) == stored
    assert keep_redacted(shown["value"], shown, stored) == stored  # string form
    assert keep_redacted("sk-new-value", shown, stored) == "sk-new-value"
    nested = keep_redacted(
        {"name": "n", "value": shown}, {"name": "old", "value": shown}, {"value": stored}
    )
    assert nested == {"name": "n", "value": stored}
    assert redact_secret("short") == "********"
