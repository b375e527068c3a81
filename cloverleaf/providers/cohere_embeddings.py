"""Embeddings on Cohere's v2 API (`/v2/embed`); see formats/cohere/embeddings.py for the
`input_type` mapping."""

from __future__ import annotations

from cloverleaf.core.embeddings import EmbeddingRequest
from cloverleaf.formats.cohere import embeddings as wire
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingCall, batches, each

#: texts per `/v2/embed` call (Cohere's limit; Bedrock's Cohere models share it)
BATCH = 96


def _calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    return [
        EmbeddingCall("/embed", wire.encode_request(part, model))
        for part in batches(request, BATCH)
    ]


COHERE = EmbeddingAdapter(_calls, each(wire.decode_response))
