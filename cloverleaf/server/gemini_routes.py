"""Gemini's face: the model and the method are in the URL (`/v1beta/models/{m}:generateContent`)."""

from __future__ import annotations

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.count_routes import CountTokensRoute, gemini_count
from cloverleaf.server.dialect_routes import DialectChatRoute
from cloverleaf.server.embeddings_routes import EmbeddingRoutes

#: where Gemini SDKs put the API: v1beta by default, v1 for some, Bifrost's /genai prefix
MODEL_PREFIXES = ("/v1beta/models/", "/v1/models/", "/genai/v1beta/models/", "/genai/v1/models/")
_STREAMING = {"generateContent": False, "streamGenerateContent": True}
_EMBEDDING = {"embedContent": False, "batchEmbedContents": True}  # method → batch?


class GeminiRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self.chat = DialectChatRoute(gateway, settings, GeminiDialect())
        self.count = CountTokensRoute(gateway, settings, GeminiDialect(), gemini_count)
        self.embed = EmbeddingRoutes(gateway, settings)

    async def model_method(self, request: HttpRequest, send: Send) -> None:
        prefix = next(p for p in MODEL_PREFIXES if request.path.startswith(p))
        model, _, method = request.path[len(prefix) :].rpartition(":")
        if method == "countTokens" and model:
            await self.count.serve(request, send, {"model": model})
            return
        if method in _EMBEDDING and model:
            await self.embed.gemini(request, send, model, _EMBEDDING[method])
            return
        stream = _STREAMING.get(method)
        if not model or stream is None:
            error = GatewayError(
                404,
                f"unknown method {method!r}: use generateContent, countTokens, "
                "streamGenerateContent, embedContent or batchEmbedContents",
                code="not_found",
            )
            await self.chat.send_error(send, request.request_id, error)
            return
        await self.chat.serve(request, send, {"model": model, "stream": stream})

    async def list_models(self, request: HttpRequest, send: Send) -> None:
        entries = await self._gateway.models.list()
        models = [
            {
                "name": f"models/{entry.id}",
                "baseModelId": entry.id,
                "displayName": entry.id,
                "supportedGenerationMethods": list(_STREAMING),
            }
            for entry in entries
        ]
        body = orjson.dumps({"models": models})
        await send_bytes(send, 200, response_headers(b"application/json", request.request_id), body)
