"""Every route the gateway serves, in one table: exact paths first, then a few path patterns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cloverleaf.config.server import ServerSettings
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.ollama.dialect import OllamaDialect, OllamaGenerateDialect
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send
from cloverleaf.server.count_routes import CountTokensRoute, anthropic_count
from cloverleaf.server.dialect_routes import DialectChatRoute
from cloverleaf.server.gemini_routes import MODEL_PREFIXES, GeminiRoutes
from cloverleaf.server.health import HealthRoute
from cloverleaf.server.ollama_meta import OllamaMetaRoutes
from cloverleaf.server.openai_routes import OpenAIRoutes

Handler = Callable[[HttpRequest, Send], Awaitable[None]]

#: Bifrost's provider-compatible prefixes: an SDK can use base_url=http://gateway/openai
OPENAI_PREFIXES = ("", "/openai")
ANTHROPIC_PREFIXES = ("", "/anthropic")


@dataclass(slots=True)
class RouteTable:
    exact: dict[tuple[str, str], Handler] = field(default_factory=dict)
    #: (method, path prefix, handler) for routes with a parameter in the path (Gemini's model)
    prefixed: list[tuple[str, str, Handler]] = field(default_factory=list)

    def add(self, method: str, path: str, handler: Handler) -> None:
        self.exact[(method, path)] = handler

    def find(self, method: str, path: str) -> Handler | None:
        handler = self.exact.get((method, path))
        if handler is not None:
            return handler
        for route_method, prefix, candidate in self.prefixed:
            if method == route_method and path.startswith(prefix):
                return candidate
        return None

    def knows_path(self, path: str) -> bool:
        return any(p == path for _, p in self.exact) or any(
            path.startswith(prefix) for _, prefix, _ in self.prefixed
        )


def build_routes(
    gateway: Gateway, settings: ServerSettings, draining: Callable[[], bool]
) -> RouteTable:
    table = RouteTable()
    openai = OpenAIRoutes(gateway, settings)
    for prefix in OPENAI_PREFIXES:
        table.add("POST", f"{prefix}/v1/chat/completions", openai.chat.handle)
        table.add("GET", f"{prefix}/v1/models", openai.list_models)
    table.add("GET", "/health", HealthRoute(gateway, draining).health)
    anthropic = DialectChatRoute(gateway, settings, AnthropicDialect())
    count = CountTokensRoute(
        gateway, settings, AnthropicDialect(), anthropic_count, defaults={"max_tokens": 1}
    )
    for prefix in ANTHROPIC_PREFIXES:
        table.add("POST", f"{prefix}/v1/messages", anthropic.handle)
        table.add("POST", f"{prefix}/v1/messages/count_tokens", count.handle)
    gemini = GeminiRoutes(gateway, settings)
    for prefix in MODEL_PREFIXES:
        table.prefixed.append(("POST", prefix, gemini.model_method))
        if prefix != "/v1/models/":  # GET /v1/models is OpenAI's list (conflict C10)
            table.add("GET", prefix.rstrip("/"), gemini.list_models)
    table.add("POST", "/api/chat", DialectChatRoute(gateway, settings, OllamaDialect()).handle)
    generate = DialectChatRoute(gateway, settings, OllamaGenerateDialect())
    table.add("POST", "/api/generate", generate.handle)
    ollama = OllamaMetaRoutes(gateway, settings)
    table.add("GET", "/api/tags", ollama.tags)
    table.add("GET", "/api/version", ollama.version)
    table.add("POST", "/api/show", ollama.show)
    return table
