"""A native Ollama server (`/api/chat`, NDJSON streams). Its OpenAI-compatible `/v1` surface is
reachable as a custom provider with `base_provider_type: openai`."""

from __future__ import annotations

from cloverleaf.formats.ollama.dialect import OllamaDialect
from cloverleaf.providers.chat_adapters import ChatAdapter, listed_names
from cloverleaf.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    "ollama",
    "http://localhost:11434",
    api_prefix="/api",
    alt_prefixes=("/v1",),
    dialect="ollama",
    keyless=True,
)


def _path(model: str, stream: bool) -> str:
    return "/chat"


ADAPTER = ChatAdapter(
    OllamaDialect(), _path, models_path="/tags", parse_models=listed_names("models", "name")
)
