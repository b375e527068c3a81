"""Which providers embed, keyed like the chat adapters (the spec's adapter, else its dialect),
so custom providers inherit their base provider's embeddings."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloverleaf.providers.bedrock_embeddings import BEDROCK
from cloverleaf.providers.cohere_embeddings import COHERE
from cloverleaf.providers.gemini_embeddings import GEMINI, VERTEX
from cloverleaf.providers.ollama_embeddings import OLLAMA
from cloverleaf.providers.openai_embeddings import AZURE, OPENAI
from cloverleaf.providers.spec import ProviderSpec
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter

EMBEDDING_ADAPTERS: Mapping[str, EmbeddingAdapter] = MappingProxyType(
    {
        "openai_chat": OPENAI,
        "azure": AZURE,
        "gemini": GEMINI,
        "vertex": VERTEX,
        "cohere": COHERE,
        "bedrock_converse": BEDROCK,
        "ollama": OLLAMA,
    }
)


def embedding_adapter(spec: ProviderSpec) -> EmbeddingAdapter | None:
    return EMBEDDING_ADAPTERS.get(spec.adapter or spec.dialect)
