"""OpenAI-dialect faces of the operations beside chat and embeddings: legacy completions,
moderations, rerank. Parse, run the operation's pipeline, render; errors in OpenAI's shape."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.formats.openai_completions.dialect import OpenAICompletionsDialect
from cloverleaf.formats.openai_completions.request import parse_completion_request
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.completions import run_completions
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.moderations import run_moderations
from cloverleaf.pipeline.rerank import run_rerank
from cloverleaf.pipeline.rerank_wire import encode_rerank_response, parse_rerank_request
from cloverleaf.server.asgi import DisconnectWatch, HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.respond import send_error_body, send_result

_JSON = b"application/json"
#: one request's answer: status, body, upstream time
Answer = tuple[int, bytes, float]


class ExtraRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings
        self._completions = OpenAICompletionsDialect()

    async def completions(self, request: HttpRequest, send: Send) -> None:
        watch: DisconnectWatch | None = None
        client: ClientChat | None = None
        try:
            peek = parse_completion_request(await self._body(request))
            client = ClientChat.from_openai(self._completions, peek)
            watch = DisconnectWatch(request.receive)
            result = await run_completions(self._gateway, client, request.request_id)
            await send_result(send, request.request_id, result, self._settings.write_timeout_s)
        except GatewayError as error:
            error.model = error.model or (client.model if client else None)
            body = self._completions.render_error(error)
            await send_error_body(send, request.request_id, error, body, _JSON)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()

    async def moderations(self, request: HttpRequest, send: Send) -> None:
        async def run() -> Answer:
            result = await run_moderations(
                self._gateway, await self._body(request), request.request_id
            )
            return result.status, result.body, result.remote_ms

        await self._serve(request, send, run, "moderation")

    async def rerank(self, request: HttpRequest, send: Send) -> None:
        async def run() -> Answer:
            rerank, fallbacks = parse_rerank_request(await self._body(request))
            result = await run_rerank(self._gateway, rerank, fallbacks, request.request_id)
            body = encode_rerank_response(rerank, result.response, result.model, request.request_id)
            return 200, body, result.remote_ms

        await self._serve(request, send, run, "rerank")

    async def _body(self, request: HttpRequest) -> bytes:
        return await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)

    async def _serve(
        self,
        request: HttpRequest,
        send: Send,
        run: Callable[[], Awaitable[Answer]],
        request_type: str,
    ) -> None:
        try:
            status, body, remote_ms = await run()
        except GatewayError as error:
            rendered = render_error(error, request_type=request_type)
            await send_error_body(send, request.request_id, error, rendered, _JSON)
            return
        duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(remote_ms))]
        await send_bytes(send, status, response_headers(_JSON, request.request_id, duration), body)
