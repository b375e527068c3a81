"""Which providers rerank. Cohere by its dialect; in the OpenAI-compatible family only those
known to serve the Jina-style endpoint (vLLM, Together), by provider name."""

from __future__ import annotations

from cloverleaf.providers.cohere_rerank import COHERE
from cloverleaf.providers.jina_rerank import JINA
from cloverleaf.providers.spec import ProviderSpec
from cloverleaf.providers.spec_rerank import RerankAdapter

_BY_NAME = {"vllm": JINA, "together": JINA}


def rerank_adapter(spec: ProviderSpec) -> RerankAdapter | None:
    if spec.dialect == "cohere":
        return COHERE
    return _BY_NAME.get(spec.name)
