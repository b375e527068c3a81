"""OpenAI-dialect data-plane handlers: parse, call the pipeline, render. Nothing else."""

from __future__ import annotations

import asyncio

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.request import parse_chat_request
from cloverleaf.pipeline.chat import run_chat
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import (
    DisconnectWatch,
    HttpRequest,
    Send,
    response_headers,
    send_bytes,
)
from cloverleaf.server.errors import send_openai_error
from cloverleaf.server.respond import send_result


class OpenAIRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings
        self._dialect = OpenAIChatDialect()

    async def chat_completions(self, request: HttpRequest, send: Send) -> None:
        watch: DisconnectWatch | None = None
        model: str | None = None
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            chat = ClientChat.from_openai(self._dialect, parse_chat_request(raw))
            model = chat.model
            watch = DisconnectWatch(request.receive)
            result = await run_chat(self._gateway, chat, request.request_id)
            await send_result(send, request.request_id, result, self._settings.write_timeout_s)
        except GatewayError as error:
            await send_openai_error(
                send, request.request_id, error, model=model, request_type="chat_completion"
            )
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()

    async def list_models(self, request: HttpRequest, send: Send) -> None:
        entries = await self._gateway.models.list()
        data = [
            {"id": e.id, "object": "model", "owned_by": e.owned_by, "created": e.created}
            for e in entries
        ]
        body = orjson.dumps({"object": "list", "data": data})
        await send_bytes(send, 200, response_headers(b"application/json", request.request_id), body)
