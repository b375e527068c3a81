"""Chat endpoints in a client dialect other than OpenAI's (Anthropic, Gemini, Ollama, ...)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.pipeline.chat import run_chat
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import DisconnectWatch, HttpRequest, Send
from cloverleaf.server.respond import send_error_body, send_result

#: raw body + URL-borne fields → the client's request; raises GatewayError(400) on bad input
ClientParser = Callable[[ChatDialect, bytes, dict[str, Any]], ClientChat]


def decode_client(dialect: ChatDialect, raw: bytes, overrides: dict[str, Any]) -> ClientChat:
    """The general case: decode the whole body into the core model up front."""
    client = ClientChat(
        dialect,
        {**parse_json_object(raw), **overrides},
        "",
        False,
        raw=raw,
        url_fields=frozenset(overrides),
    )
    core = client.core()
    client.model, client.stream = core.model, core.stream
    return client


class DialectChatRoute:
    """Parse the client's body, run the same pipeline, answer and fail in the client's dialect."""

    def __init__(
        self,
        gateway: Gateway,
        settings: ServerSettings,
        dialect: ChatDialect,
        parse: ClientParser = decode_client,
    ) -> None:
        self._gateway = gateway
        self._settings = settings
        self._parse = parse
        self.dialect = dialect

    async def handle(self, request: HttpRequest, send: Send) -> None:
        await self.serve(request, send)

    async def serve(
        self, request: HttpRequest, send: Send, overrides: dict[str, Any] | None = None
    ) -> None:
        """`overrides` carries what a dialect puts in the URL (Gemini's model and stream)."""
        watch: DisconnectWatch | None = None
        client: ClientChat | None = None
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            client = self._parse(self.dialect, raw, overrides or {})
            watch = DisconnectWatch(request.receive)
            result = await run_chat(self._gateway, client, request.request_id)
            await send_result(send, request.request_id, result, self._settings.write_timeout_s)
        except GatewayError as error:
            error.model = error.model or (client.model if client else None)
            await self.send_error(send, request.request_id, error)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()

    async def send_error(self, send: Send, request_id: str, error: GatewayError) -> None:
        body = self.dialect.render_error(error)
        await send_error_body(send, request_id, error, body, b"application/json")
