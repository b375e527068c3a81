"""The rerank operation as a provider offers it, next to chat and embeddings.

A provider with no entry in `registry_rerank.RERANK_ADAPTERS` does not rerank, and the gateway
says so with a 400 before calling anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloverleaf.core.usage import Usage


@dataclass(frozen=True, slots=True)
class RerankRequest:
    model: str
    query: str
    documents: tuple[str, ...]
    top_n: int | None = None
    return_documents: bool = False

    def estimated_tokens(self) -> int:
        """Input tokens by the usual four characters a token, for reservations and for
        providers that report none (Cohere bills search units)."""
        chars = len(self.query) * len(self.documents) + sum(len(d) for d in self.documents)
        return max(1, -(-chars // 4))


@dataclass(frozen=True, slots=True)
class RerankResult:
    index: int
    relevance_score: float


@dataclass(frozen=True, slots=True)
class RerankResponse:
    """Results best first; `usage` None when the provider reported no tokens."""

    results: tuple[RerankResult, ...]
    usage: Usage | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class RerankAdapter:
    #: path under the provider's API prefix
    path: str
    #: (request, provider's model id) → upstream JSON body
    encode: Callable[[RerankRequest, str], dict[str, Any]]
    decode: Callable[[bytes], RerankResponse]
