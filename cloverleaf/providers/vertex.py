"""Google Vertex AI: Gemini models on the Gemini wire, Claude models on Anthropic's.

Every URL names the key's project and region, so the base URL and prefix are templates filled
from the key (`url_params`). Both publishers authenticate with an OAuth bearer token from the
key's service account (`vertex_key_config.auth_credentials`); a key with only `value` sends that
as the bearer token (an access token obtained elsewhere).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cloverleaf.config.load import ConfigError
from cloverleaf.config.providers import VertexKeyConfig
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.providers import anthropic, gemini
from cloverleaf.providers.chat_adapters import ChatAdapter, TokenCounting
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

DEFAULT_REGION = "us-central1"
#: the Messages API version Vertex's Anthropic publisher expects, in the body
ANTHROPIC_VERSION = "vertex-2023-10-16"

SPEC = ProviderSpec(
    "vertex",
    "https://{vertex_host}",
    api_prefix="/v1/projects/{project}/locations/{region}",
    dialect="gemini",
    adapter="vertex",
    auth=AuthStyle.BEARER,
    has_models_endpoint=False,  # Model Garden is a different API
)


def url_params(block: VertexKeyConfig, key_name: str) -> dict[str, str]:
    """`{project}`, `{region}` and `{vertex_host}` for one key (`global` has no region prefix)."""
    project = block.project_id.value if block.project_id else ""
    if not project:
        raise ConfigError(f"key {key_name!r}: vertex_key_config.project_id is required")
    region = (block.region.value if block.region else "") or DEFAULT_REGION
    host = (
        "aiplatform.googleapis.com" if region == "global" else f"{region}-aiplatform.googleapis.com"
    )
    return {
        "project": quote(project, safe=""),
        "region": quote(region, safe=""),
        "vertex_host": host,
    }


def _gemini_path(model: str, stream: bool) -> str:
    if stream:
        return f"/publishers/google/models/{model}:streamGenerateContent?alt=sse"
    return f"/publishers/google/models/{model}:generateContent"


def _claude_path(model: str, stream: bool) -> str:
    return f"/publishers/anthropic/models/{model}:{'streamRawPredict' if stream else 'rawPredict'}"


def claude_body(body: dict[str, Any]) -> dict[str, Any]:
    """Anthropic's Messages body as Vertex takes it: the model is in the URL, the version here."""
    wire = {key: value for key, value in body.items() if key != "model"}
    wire["anthropic_version"] = ANTHROPIC_VERSION
    return wire


def claude_count_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    """Anthropic's count_tokens body; unlike a Messages call, Vertex wants the model in the
    body here (the URL names no model), plus the version, as AnthropicVertex sends it."""
    return anthropic.COUNTING.body(body, model) | {"anthropic_version": ANTHROPIC_VERSION}


#: Vertex's own count for Claude models: one URL for every model, the model in the body
CLAUDE_COUNTING = TokenCounting(
    lambda model: "/publishers/anthropic/models/count-tokens:rawPredict",
    claude_count_body,
    anthropic.COUNTING.read,
)
CLAUDE = ChatAdapter(
    AnthropicDialect(),
    _claude_path,
    models_path=None,
    counting=CLAUDE_COUNTING,
    body_rewrite=claude_body,
)
ADAPTER = ChatAdapter(
    GeminiDialect(),
    _gemini_path,
    models_path=None,
    counting=TokenCounting(
        lambda model: f"/publishers/google/models/{model}:countTokens",
        gemini.COUNTING.body,
        gemini.COUNTING.read,
    ),
    variants=(("claude", CLAUDE),),
)
