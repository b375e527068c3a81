"""Token-count endpoints (Anthropic `count_tokens`, Gemini `countTokens`) in their own shapes.

The answer says where the number came from: the `x-cloverleaf-token-count` header is
`provider` or `estimate`, and the body carries `"estimated": true` for an estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.count_tokens import TokenCount, count_tokens
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.respond import send_error_body

Render = Callable[[TokenCount], dict[str, Any]]


def anthropic_count(count: TokenCount) -> dict[str, Any]:
    return {"input_tokens": count.tokens} | ({"estimated": True} if count.estimated else {})


def gemini_count(count: TokenCount) -> dict[str, Any]:
    return {"totalTokens": count.tokens} | ({"estimated": True} if count.estimated else {})


class CountTokensRoute:
    def __init__(
        self,
        gateway: Gateway,
        settings: ServerSettings,
        dialect: ChatDialect,
        render: Render,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        self._gateway = gateway
        self._settings = settings
        self._dialect = dialect
        self._render = render
        #: fields a count request may leave out that the dialect's chat decoder insists on
        self._defaults = defaults or {}

    async def handle(self, request: HttpRequest, send: Send) -> None:
        await self.serve(request, send)

    async def serve(
        self, request: HttpRequest, send: Send, overrides: dict[str, Any] | None = None
    ) -> None:
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            body = {**self._defaults, **parse_json_object(raw), **(overrides or {})}
            client = ClientChat(self._dialect, body, str(body.get("model", "")), False, raw=raw)
            client.model = client.core().model
            count = await count_tokens(self._gateway, client)
        except GatewayError as error:
            rendered = self._dialect.render_error(error)
            await send_error_body(send, request.request_id, error, rendered, b"application/json")
            return
        source = b"estimate" if count.estimated else b"provider"
        headers = response_headers(
            b"application/json", request.request_id, [(b"x-cloverleaf-token-count", source)]
        )
        await send_bytes(send, 200, headers, orjson.dumps(self._render(count)))
