"""The OpenAI-compatible family as rows of data (see shared/providers/openai-compatible.md)."""

from __future__ import annotations

from types import MappingProxyType

from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.spec import ProviderSpec, StreamUsage

_ROWS: tuple[ProviderSpec, ...] = (
    ProviderSpec("openai", "https://api.openai.com"),
    ProviderSpec("groq", "https://api.groq.com", api_prefix="/openai/v1"),
    ProviderSpec("mistral", "https://api.mistral.ai", renamed_params=(("seed", "random_seed"),)),
    ProviderSpec(
        "deepseek",
        "https://api.deepseek.com",
        dropped_message_fields=frozenset({"reasoning_content"}),
    ),
    ProviderSpec("xai", "https://api.x.ai"),
    ProviderSpec("openrouter", "https://openrouter.ai", api_prefix="/api/v1"),
    ProviderSpec("together", "https://api.together.xyz"),
    ProviderSpec("fireworks", "https://api.fireworks.ai", api_prefix="/inference/v1"),
    ProviderSpec(
        "cerebras",
        "https://api.cerebras.ai",
        dropped_params=frozenset({"parallel_tool_calls", "service_tier"}),
    ),
    ProviderSpec(
        "perplexity",
        "https://api.perplexity.ai",
        api_prefix="",
        has_models_endpoint=False,
        stream_usage=StreamUsage.UNASKED,
    ),
    ProviderSpec("nebius", "https://api.studio.nebius.com"),
    ProviderSpec("parasail", "https://api.parasail.io"),
    ProviderSpec("huggingface", "https://router.huggingface.co"),
    ProviderSpec("vllm", "http://localhost:8000", keyless=True),
    ProviderSpec("sgl", "http://localhost:30000", keyless=True),
    ProviderSpec("lmstudio", "http://localhost:1234", keyless=True),
)

OPENAI_COMPATIBLE: MappingProxyType[str, ProviderSpec] = MappingProxyType(
    {row.name: row for row in _ROWS}
)


def _path(model: str, stream: bool) -> str:
    return "/chat/completions"


ADAPTER = ChatAdapter(OpenAIChatDialect(), _path, byte_passthrough=True)
