"""Every route the gateway serves, in one table, each with its auth policy (API.md §3)."""

from __future__ import annotations

from collections.abc import Callable

from cloverleaf.config.server import ServerSettings
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.ollama.dialect import OllamaDialect, OllamaGenerateDialect
from cloverleaf.governance.project_tokens import ProjectTokens
from cloverleaf.governance.store import GovernanceStore
from cloverleaf.management.governance_routes import governance_routes
from cloverleaf.management.handlers import ManagementHandlers
from cloverleaf.management.llm_proxy_mount import client_key_routes
from cloverleaf.management.registry import Handler, Policy, Route, RouteTable
from cloverleaf.management.routes import management_routes
from cloverleaf.openapi.routes import OpenApiRoutes
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.audio_routes import audio_routes
from cloverleaf.server.batch_routes import batch_routes
from cloverleaf.server.count_routes import CountTokensRoute, anthropic_count
from cloverleaf.server.dialect_routes import DialectChatRoute
from cloverleaf.server.embeddings_routes import EmbeddingRoutes
from cloverleaf.server.extra_routes import ExtraRoutes
from cloverleaf.server.gemini_routes import MODEL_PREFIXES, GeminiRoutes
from cloverleaf.server.health import HealthRoute
from cloverleaf.server.images_routes import images_routes
from cloverleaf.server.inference_gateway_routes import InferenceGatewayRoutes
from cloverleaf.server.ollama_meta import OllamaMetaRoutes
from cloverleaf.server.omniroute_routes import omniroute_routes
from cloverleaf.server.openai_routes import OpenAIRoutes
from cloverleaf.server.passthrough_routes import METHODS as PASSTHROUGH_METHODS
from cloverleaf.server.passthrough_routes import PassthroughRoute
from cloverleaf.server.responses_routes import responses_routes

__all__ = ["Handler", "RouteTable", "build_routes"]

#: Bifrost's provider-compatible prefixes: an SDK can use base_url=http://gateway/openai
OPENAI_PREFIXES = ("", "/openai")
ANTHROPIC_PREFIXES = ("", "/anthropic")
HEALTH = "bifrost/schemas/management/health.yaml#/HealthResponse"
BIFROST_ERROR = "bifrost/schemas/inference/common.yaml#/BifrostError"


def _client(method: str, path: str, handler: Handler, summary: str = "") -> Route:
    """An inference route: client credentials, checked by the governance layer."""
    return Route(method, path, handler, Policy.CLIENT, summary=summary, tags=("Inference",))


def build_routes(
    gateway: Gateway,
    settings: ServerSettings,
    draining: Callable[[], bool],
    management: ManagementHandlers,
    governance: GovernanceStore,
    *,
    project_tokens: ProjectTokens | None = None,
) -> RouteTable:
    table = RouteTable()
    openai = OpenAIRoutes(gateway, settings)
    for prefix in OPENAI_PREFIXES:
        table.add(_client("POST", f"{prefix}/v1/chat/completions", openai.chat.handle))
        table.add(_client("GET", f"{prefix}/v1/models", openai.list_models))
    health = HealthRoute(gateway, draining).health
    table.add(
        Route(
            "GET",
            "/health",
            health,
            Policy.PUBLIC,
            summary="Health (503 while draining)",
            operation_id="getHealth",
            tags=("Health",),
            responses={200: HEALTH, 503: BIFROST_ERROR},
        )
    )
    anthropic = DialectChatRoute(gateway, settings, AnthropicDialect())
    count = CountTokensRoute(
        gateway, settings, AnthropicDialect(), anthropic_count, defaults={"max_tokens": 1}
    )
    for prefix in ANTHROPIC_PREFIXES:
        table.add(_client("POST", f"{prefix}/v1/messages", anthropic.handle))
        table.add(_client("POST", f"{prefix}/v1/messages/count_tokens", count.handle))
    gemini = GeminiRoutes(gateway, settings)
    for prefix in MODEL_PREFIXES:
        table.add(Route("POST", prefix, gemini.model_method, Policy.CLIENT, prefix=True))
        if prefix != "/v1/models/":  # GET /v1/models is OpenAI's list (conflict C10)
            table.add(_client("GET", prefix.rstrip("/"), gemini.list_models))
    table.add(
        _client("POST", "/api/chat", DialectChatRoute(gateway, settings, OllamaDialect()).handle)
    )
    generate = DialectChatRoute(gateway, settings, OllamaGenerateDialect())
    table.add(_client("POST", "/api/generate", generate.handle))
    # embeddings (issue 6): OpenAI's face; Gemini's is in GeminiRoutes.model_method
    embeddings = EmbeddingRoutes(gateway, settings)
    for prefix in OPENAI_PREFIXES:
        table.add(_client("POST", f"{prefix}/v1/embeddings", embeddings.openai, "Embeddings"))
    table.add(_client("POST", "/api/embed", embeddings.ollama, "Embeddings (Ollama)"))
    # legacy completions, moderations, rerank (issue 6)
    extra = ExtraRoutes(gateway, settings)
    for prefix in OPENAI_PREFIXES:
        table.add(_client("POST", f"{prefix}/v1/completions", extra.completions, "Completions"))
        table.add(_client("POST", f"{prefix}/v1/moderations", extra.moderations, "Moderations"))
        table.add(_client("POST", f"{prefix}/v1/rerank", extra.rerank, "Rerank"))
    # Responses, images, audio, files and batches: each module gives its OpenAI paths, their
    # `/openai` twins and, where OmniRoute has them, its `/api/v1` paths
    for route in (
        *responses_routes(gateway, settings, OPENAI_PREFIXES),
        *images_routes(gateway, settings),
        *audio_routes(gateway, settings),
        *batch_routes(gateway, settings),
    ):
        table.add(route)
    ollama = OllamaMetaRoutes(gateway, settings)
    table.add(_client("GET", "/api/tags", ollama.tags))
    table.add(_client("GET", "/api/version", ollama.version))
    table.add(_client("POST", "/api/show", ollama.show))
    # Inference Gateway face (seed 001) and OmniRoute's inference paths (seed 004)
    llms = InferenceGatewayRoutes(gateway, settings)
    table.add(_client("GET", "/llms", llms.list_all, "Inference Gateway: all models"))
    table.add(_client("GET", "/llms/{provider}", llms.list_provider, "Inference Gateway: models"))
    table.add(_client("POST", "/llms/{provider}/generate", llms.generate, "Inference Gateway"))
    for route in omniroute_routes(gateway, settings):
        table.add(route)
    for route in management_routes(management):
        table.add(route)
    for route in governance_routes(governance, gateway):
        table.add(route)
    # LLM Proxy projects/tokens (seed 003) and OmniRoute's /api/keys (C8)
    for route in client_key_routes(
        governance, gateway, settings.data_dir, project_tokens=project_tokens
    ):
        table.add(route)
    # LLM Proxy's /v1/{path} pass-through (C12): a prefix route, tried after every exact and
    # template route, so it serves only what nothing else does; registered last but the docs
    passthrough = PassthroughRoute(gateway, settings)
    for method in PASSTHROUGH_METHODS:
        summary = "LLM Proxy pass-through to the openai provider"
        table.add(Route(method, "/v1/", passthrough.handle, Policy.CLIENT, summary, prefix=True))
    for route in OpenApiRoutes(table).routes():
        table.add(route)
    return table
