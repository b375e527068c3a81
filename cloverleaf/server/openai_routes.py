"""OpenAI-dialect data-plane handlers: parse, call the pipeline, render. Nothing else."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.request import parse_chat_request
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.dialect_routes import DialectChatRoute


class OpenAIRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self.chat = DialectChatRoute(gateway, settings, OpenAIChatDialect(), _peek_client)

    async def list_models(self, request: HttpRequest, send: Send) -> None:
        entries = await self._gateway.models.list()
        data = [
            {"id": e.id, "object": "model", "owned_by": e.owned_by, "created": e.created}
            for e in entries
        ]
        body = orjson.dumps({"object": "list", "data": data})
        await send_bytes(send, 200, response_headers(b"application/json", request.request_id), body)


def _peek_client(dialect: ChatDialect, raw: bytes, overrides: dict[str, Any]) -> ClientChat:
    """OpenAI clients: read only what routing needs, so the bytes can go upstream as they are."""
    return ClientChat.from_openai(dialect, parse_chat_request(raw))
