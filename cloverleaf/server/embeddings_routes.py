"""The embeddings faces: OpenAI `/v1/embeddings`, Gemini `:embedContent` /
`:batchEmbedContents`, Ollama `/api/embed`. Parse, run the one pipeline, render, and fail in the
face's own error dialect."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.gemini import embeddings as gemini_wire
from cloverleaf.formats.gemini.errors import render_error as gemini_error
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.ollama import embeddings as ollama_wire
from cloverleaf.formats.ollama.errors import render_error as ollama_error
from cloverleaf.formats.openai_chat import embeddings as openai_wire
from cloverleaf.formats.openai_chat.errors import render_error as openai_error
from cloverleaf.pipeline.embeddings import ClientEmbedding, run_embeddings
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import DisconnectWatch, HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.respond import send_error_body

_JSON = b"application/json"
#: one request's work: the answer's body and the upstream time
Answer = tuple[bytes, float]


class EmbeddingRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings

    async def openai(self, request: HttpRequest, send: Send) -> None:
        async def run(raw: bytes) -> Answer:
            peek = openai_wire.parse_embedding_request(raw)
            client = ClientEmbedding(peek.request, peek.fallbacks, peek)
            result = await run_embeddings(self._gateway, client, request.request_id)
            if result.forwarded is not None:
                return result.forwarded, result.remote_ms
            assert result.response is not None
            body = openai_wire.encode_response(result.response, result.model, peek.encoding)
            return body, result.remote_ms

        await self._serve(request, send, run, openai_error)

    async def gemini(self, request: HttpRequest, send: Send, model: str, batch: bool) -> None:
        """`model` and the method come from the URL (`models/{model}:batchEmbedContents`)."""

        async def run(raw: bytes) -> Answer:
            body = parse_json_object(raw)
            embedding = gemini_wire.decode_request(body, model, batch)
            result = await run_embeddings(
                self._gateway, ClientEmbedding(embedding), request.request_id
            )
            assert result.response is not None
            return gemini_wire.encode_response(result.response, batch), result.remote_ms

        await self._serve(request, send, run, gemini_error)

    async def ollama(self, request: HttpRequest, send: Send) -> None:
        started = time.perf_counter_ns()

        async def run(raw: bytes) -> Answer:
            embedding = ollama_wire.decode_request(parse_json_object(raw))
            result = await run_embeddings(
                self._gateway, ClientEmbedding(embedding), request.request_id
            )
            assert result.response is not None
            duration = time.perf_counter_ns() - started
            body = ollama_wire.encode_response(result.response, embedding.model, duration)
            return body, result.remote_ms

        await self._serve(request, send, run, ollama_error)

    async def _body(self, request: HttpRequest) -> bytes:
        return await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)

    async def _serve(
        self,
        request: HttpRequest,
        send: Send,
        run: Callable[[bytes], Awaitable[Answer]],
        render_error: Callable[[GatewayError], bytes],
    ) -> None:
        """A client that leaves while the upstream works cancels the upstream call."""
        watch: DisconnectWatch | None = None
        try:
            raw = await self._body(request)
            watch = DisconnectWatch(request.receive)
            body, remote_ms = await run(raw)
        except GatewayError as error:
            await send_error_body(send, request.request_id, error, render_error(error), _JSON)
            return
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
            return
        finally:
            if watch is not None:
                watch.stop()
        duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(remote_ms))]
        await send_bytes(send, 200, response_headers(_JSON, request.request_id, duration), body)
