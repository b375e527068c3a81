"""Embeddings on a native Ollama server (`/api/embed`)."""

from __future__ import annotations

from cloverleaf.core.embeddings import EmbeddingRequest
from cloverleaf.formats.ollama import embeddings as wire
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingCall, single


def _calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    return [EmbeddingCall("/embed", wire.encode_request(request, model))]


OLLAMA = EmbeddingAdapter(_calls, single(wire.decode_response))
