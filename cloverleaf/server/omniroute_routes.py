"""OmniRoute's inference paths (seed 004): the existing dialect handlers mounted again under
`/api/v1`, `/api/v1beta` and `/api/v1/providers/{provider}`, with OmniRoute's contract that a
request every upstream failed is a 502."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.ollama.dialect import OllamaDialect
from cloverleaf.formats.openai_chat import embeddings as openai_wire
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.errors import render_error as openai_error
from cloverleaf.formats.openai_chat.request import parse_chat_request
from cloverleaf.management.registry import Handler, Policy, Route
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.embeddings import ClientEmbedding, run_embeddings
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.count_routes import CountTokensRoute, anthropic_count
from cloverleaf.server.dialect_routes import DialectChatRoute
from cloverleaf.server.extra_routes import ExtraRoutes
from cloverleaf.server.gemini_routes import GeminiRoutes
from cloverleaf.server.openai_routes import OpenAIRoutes
from cloverleaf.server.respond import send_error_body

_JSON = b"application/json"
#: upstream answers that blame the client's request, not the upstream: they pass through
_CLIENT_FAULTS = frozenset({400, 404, 409, 413, 422})
_GEMINI_PREFIX = "/api/v1beta/models/"


def all_failed(error: GatewayError) -> GatewayError:
    """An upstream failure that ended the request (5xx, timeout, rate limit, refused key) is
    OmniRoute's 502 "All upstream providers failed"; the gateway's own refusals (no `provider`:
    budgets, bad input) and the upstream's verdict on a bad request keep their status."""
    if error.provider is None or error.status == 502 or error.status in _CLIENT_FAULTS:
        return error
    failed = GatewayError(
        502,
        f"all upstream providers failed: {error.message}",
        type="upstream_error",
        code=error.code or "upstream_error",
        provider=error.provider,
    )
    failed.headers, failed.model = error.headers, error.model
    return failed


def with_provider(raw: bytes, provider: str) -> bytes:
    """The body with its model taken as `provider`'s model (`gpt-4o` → `openai/gpt-4o`)."""
    body = parse_json_object(raw)
    model = body.get("model")
    if isinstance(model, str) and model and not model.startswith(f"{provider}/"):
        body["model"] = f"{provider}/{model}"
    return orjson.dumps(body)


def _openai_client(dialect: ChatDialect, raw: bytes, overrides: dict[str, Any]) -> ClientChat:
    """OpenAI clients, peeked as on `/v1/chat/completions`; `overrides["provider"]` forces one."""
    provider = overrides.get("provider")
    if isinstance(provider, str):
        raw = with_provider(raw, provider)
    return ClientChat.from_openai(dialect, parse_chat_request(raw))


class OmniChatRoute(DialectChatRoute):
    """A dialect's chat route whose upstream exhaustion is a 502."""

    async def send_error(self, send: Send, request_id: str, error: GatewayError) -> None:
        await super().send_error(send, request_id, all_failed(error))


class OmniRouteRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings
        self.openai = OmniChatRoute(gateway, settings, OpenAIChatDialect(), _openai_client)
        self.anthropic = OmniChatRoute(gateway, settings, AnthropicDialect())
        self.ollama = OmniChatRoute(gateway, settings, OllamaDialect())
        self.count = CountTokensRoute(
            gateway, settings, AnthropicDialect(), anthropic_count, defaults={"max_tokens": 1}
        )
        self.lists = OpenAIRoutes(gateway, settings)
        self.gemini = GeminiRoutes(gateway, settings)
        self.gemini.chat = OmniChatRoute(gateway, settings, GeminiDialect())

    async def provider_chat(self, request: HttpRequest, send: Send) -> None:
        provider = self._configured(request)
        if isinstance(provider, GatewayError):
            await self.openai.send_error(send, request.request_id, provider)
            return
        await self.openai.serve(request, send, {"provider": provider})

    async def gemini_model(self, request: HttpRequest, send: Send) -> None:
        """OmniRoute's `/api/v1beta/models/{path}` is Gemini's `/v1beta/models/{path}`."""
        request.path = "/v1beta/models/" + request.path[len(_GEMINI_PREFIX) :]
        await self.gemini.model_method(request, send)

    async def embeddings(self, request: HttpRequest, send: Send) -> None:
        await self._embed(request, send, None)

    async def provider_embeddings(self, request: HttpRequest, send: Send) -> None:
        provider = self._configured(request)
        if isinstance(provider, GatewayError):
            await send_error_body(send, request.request_id, provider, openai_error(provider), _JSON)
            return
        await self._embed(request, send, provider)

    async def _embed(self, request: HttpRequest, send: Send, provider: str | None) -> None:
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            peek = openai_wire.parse_embedding_request(
                with_provider(raw, provider) if provider else raw
            )
            client = ClientEmbedding(peek.request, peek.fallbacks, peek)
            result = await run_embeddings(self._gateway, client, request.request_id)
            body = result.forwarded
            if body is None:
                assert result.response is not None
                body = openai_wire.encode_response(result.response, result.model, peek.encoding)
        except GatewayError as error:
            error = all_failed(error)
            await send_error_body(send, request.request_id, error, openai_error(error), _JSON)
            return
        duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(result.remote_ms))]
        await send_bytes(send, 200, response_headers(_JSON, request.request_id, duration), body)

    def _configured(self, request: HttpRequest) -> str | GatewayError:
        """The `{provider}` of the path, or a 404 when no provider of that name is configured."""
        provider: str = request.scope.get("path_params", {}).get("provider", "")
        if provider in self._gateway.table.routes:
            return provider
        return GatewayError(
            404, f"provider {provider!r} is not configured", code="provider_not_found"
        )


def omniroute_routes(gateway: Gateway, settings: ServerSettings) -> list[Route]:
    """OmniRoute's chat, messages, embeddings, moderations, rerank and model paths; Responses,
    images and audio mount their OmniRoute paths with their own routes."""
    omni = OmniRouteRoutes(gateway, settings)
    extra = ExtraRoutes(gateway, settings)

    def client(
        method: str, path: str, handler: Handler, summary: str, prefix: bool = False
    ) -> Route:
        return Route(
            method,
            path,
            handler,
            Policy.CLIENT,
            summary=summary,
            tags=("OmniRoute",),
            prefix=prefix,
        )

    return [
        client("POST", "/api/v1/chat/completions", omni.openai.handle, "Chat completion"),
        client(
            "POST",
            "/api/v1/providers/{provider}/chat/completions",
            omni.provider_chat,
            "Chat completion with the provider forced",
        ),
        client("POST", "/api/v1/api/chat", omni.ollama.handle, "Ollama-compatible chat"),
        client("POST", "/api/v1/messages", omni.anthropic.handle, "Anthropic Messages"),
        client("POST", "/api/v1/messages/count_tokens", omni.count.handle, "Count tokens"),
        client("POST", "/api/v1/embeddings", omni.embeddings, "Embeddings"),
        client(
            "POST",
            "/api/v1/providers/{provider}/embeddings",
            omni.provider_embeddings,
            "Embeddings with the provider forced",
        ),
        client("POST", "/api/v1/moderations", extra.moderations, "Moderations"),
        client("POST", "/api/v1/rerank", extra.rerank, "Rerank"),
        client("GET", "/api/v1", omni.lists.list_models, "API root: the model list"),
        client("GET", "/api/v1/models", omni.lists.list_models, "Models (OpenAI shape)"),
        client("GET", "/api/v1beta/models", omni.gemini.list_models, "Models (Gemini shape)"),
        client("POST", _GEMINI_PREFIX, omni.gemini_model, "Gemini model methods", prefix=True),
    ]
