"""Cohere's `POST /v2/embed` wire (cohere.md "Embed"); Bedrock's Cohere models take the same
body without `model` and answer in either of Cohere's two response shapes.

`input_type` is required by every v3+ model. The core task maps onto it by name; when the
client gave none (OpenAI's wire has no such field) it is `search_document`: an OpenAI-style
embeddings call is most often indexing, and a client that embeds queries can say so with the
`input_type` extension field (or Gemini's `taskType: RETRIEVAL_QUERY`).
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingTask,
    input_usage,
    unreadable_answer,
)

DEFAULT_TASK = EmbeddingTask.SEARCH_DOCUMENT


def encode_request(request: EmbeddingRequest, model: str | None) -> dict[str, Any]:
    """`model` None: Bedrock, where the model is in the URL."""
    body: dict[str, Any] = {} if model is None else {"model": model}
    body["texts"] = list(request.texts)
    body["input_type"] = (request.task or DEFAULT_TASK).value
    body["embedding_types"] = ["float"]
    if request.dimensions is not None:
        body["output_dimension"] = request.dimensions
    if request.truncate is not None:
        body["truncate"] = "END" if request.truncate else "NONE"
    return body


def decode_response(body: bytes, header_tokens: int | None = None) -> EmbeddingResponse:
    """`embeddings_by_type` (`{"float": [[...]]}`) or `embeddings_floats` (`[[...]]`); usage
    from `meta.billed_units`, else the count Bedrock puts in a response header."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable_answer("not JSON") from None
    if not isinstance(data, dict):
        raise unreadable_answer("not a JSON object")
    embeddings = data.get("embeddings")
    if isinstance(embeddings, dict):
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list):
        raise unreadable_answer("no float embeddings")
    vectors = tuple(_floats(vector) for vector in embeddings)
    meta = data.get("meta")
    billed = meta.get("billed_units") if isinstance(meta, dict) else None
    tokens = billed.get("input_tokens") if isinstance(billed, dict) else None
    if isinstance(tokens, int | float):
        return EmbeddingResponse(vectors, input_usage(int(tokens)))
    return EmbeddingResponse(vectors, input_usage(header_tokens) if header_tokens else None)


def _floats(vector: Any) -> tuple[float, ...]:
    if not isinstance(vector, list) or not all(isinstance(x, int | float) for x in vector):
        raise unreadable_answer("an embedding that is not a list of numbers")
    return tuple(float(x) for x in vector)
