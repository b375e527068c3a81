"""OpenAI-dialect data-plane handlers: parse, call the pipeline, render. Nothing else."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.request import parse_chat_request
from cloverleaf.pipeline.chat import run_chat
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult
from cloverleaf.server.asgi import (
    DisconnectWatch,
    Headers,
    HttpRequest,
    Send,
    WriteDeadline,
    response_headers,
    send_bytes,
)
from cloverleaf.server.errors import send_openai_error

_SSE_HEADERS: Headers = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
#: a body this small goes straight into the socket buffer: writing it can never stall
_BUFFERED_WRITE = 64 * 1024


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
            await self._send_result(send, request.request_id, result)
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

    async def _send_result(self, send: Send, request_id: str, result: ChatResult) -> None:
        duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(result.remote_ms))]
        if result.stream is None:
            headers = response_headers(result.content_type.encode(), request_id, duration)
            if len(result.body) < _BUFFERED_WRITE:
                await send_bytes(send, result.status, headers, result.body)
                return
            async with asyncio.timeout(self._settings.write_timeout_s):
                await send_bytes(send, result.status, headers, result.body)
            return
        headers = response_headers(b"text/event-stream", request_id, duration + _SSE_HEADERS)
        async with (
            aclosing(result.stream) as chunks,
            WriteDeadline(self._settings.write_timeout_s) as deadline,
        ):
            await send({"type": "http.response.start", "status": result.status, "headers": headers})
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                deadline.progressed()
        await send({"type": "http.response.body", "body": b""})

    async def list_models(self, request: HttpRequest, send: Send) -> None:
        entries = await self._gateway.models.list()
        data = [
            {"id": e.id, "object": "model", "owned_by": e.owned_by, "created": e.created}
            for e in entries
        ]
        body = orjson.dumps({"object": "list", "data": data})
        await send_bytes(send, 200, response_headers(b"application/json", request.request_id), body)
