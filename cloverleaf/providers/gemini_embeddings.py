"""Embeddings on Google: the Gemini API (`:embedContent` / `:batchEmbedContents`) and Vertex AI
(`:predict` on the publisher model, which reports token counts)."""

from __future__ import annotations

from cloverleaf.core.embeddings import EmbeddingRequest
from cloverleaf.formats.gemini import embeddings as gemini_wire
from cloverleaf.formats.gemini import embeddings_vertex as vertex_wire
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingCall, batches, each

#: Vertex's gemini-embedding models take one instance per `:predict` call
_ONE_PER_CALL = "gemini-embedding"
#: requests per `batchEmbedContents`, instances per Vertex `:predict` (the providers' limits)
GEMINI_BATCH, VERTEX_BATCH = 100, 250


def _gemini_calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    calls = []
    for part in batches(request, GEMINI_BATCH):
        method, body = gemini_wire.encode_request(part, model)
        calls.append(EmbeddingCall(f"/models/{model}:{method}", body))
    return calls


def _vertex_calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    path = f"/publishers/google/models/{model}:predict"
    size = 1 if model.startswith(_ONE_PER_CALL) else VERTEX_BATCH
    return [
        EmbeddingCall(path, vertex_wire.encode_request(part, part.texts))
        for part in batches(request, size)
    ]


GEMINI = EmbeddingAdapter(_gemini_calls, each(gemini_wire.decode_response))
VERTEX = EmbeddingAdapter(_vertex_calls, each(vertex_wire.decode_response))
