"""Embeddings as every layer sees them: what to embed, the vectors that came back, what it cost."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage

#: the same estimate the chat token counter uses when a provider reports no usage (Gemini API)
CHARS_PER_TOKEN = 4


class EmbeddingTask(Enum):
    """What the vectors are for. Cohere and Gemini embed queries and documents differently;
    OpenAI-family models ignore it. Values are Cohere's `input_type` spellings."""

    SEARCH_QUERY = "search_query"
    SEARCH_DOCUMENT = "search_document"
    CLASSIFICATION = "classification"
    CLUSTERING = "clustering"
    SEMANTIC_SIMILARITY = "semantic_similarity"


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    """Exactly one of `texts` or `tokens` is non-empty. `tokens` (pre-tokenised input) only
    reaches OpenAI-family upstreams; every other target refuses it with a 400."""

    model: str
    texts: tuple[str, ...] = ()
    tokens: tuple[tuple[int, ...], ...] = ()
    dimensions: int | None = None
    task: EmbeddingTask | None = None
    #: Gemini's document title (only meaningful with SEARCH_DOCUMENT)
    title: str | None = None
    user: str | None = None
    #: Ollama's / Cohere's truncation switch; None leaves the provider's default
    truncate: bool | None = None

    @property
    def count(self) -> int:
        return len(self.texts) or len(self.tokens)

    def estimated_tokens(self) -> int:
        """Input tokens when the provider does not say: token ids are exact, text is ~4 chars."""
        if self.tokens:
            return sum(len(t) for t in self.tokens)
        return sum(math.ceil(len(text) / CHARS_PER_TOKEN) for text in self.texts)


@dataclass(frozen=True, slots=True)
class EmbeddingResponse:
    """One vector per input, in input order. `usage` is None when the provider reported none."""

    vectors: tuple[tuple[float, ...], ...]
    usage: Usage | None = None
    model: str = ""


def input_usage(tokens: int) -> Usage:
    """Embeddings only consume input: prompt and total are the same count."""
    return Usage(prompt_tokens=tokens, total_tokens=tokens)


def unreadable_answer(why: str) -> GatewayError:
    """A 2xx embeddings answer the gateway cannot read: the provider broke its own wire."""
    return GatewayError(
        502,
        f"unreadable embeddings answer from the provider: {why}",
        type="server_error",
        code="bad_upstream_response",
    )
