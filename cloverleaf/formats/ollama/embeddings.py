"""Ollama's `POST /api/embed` wire, both ways (ollama.md "Embeddings"): `input` is a string or
strings, the answer is always a list of vectors with `prompt_eval_count` as the usage."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    input_usage,
    unreadable_answer,
)
from cloverleaf.core.errors import bad_request


def decode_request(body: dict[str, Any]) -> EmbeddingRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required", param="model")
    value = body.get("input")
    if isinstance(value, str):
        texts: tuple[str, ...] = (value,)
    elif isinstance(value, list) and value and all(isinstance(t, str) for t in value):
        texts = tuple(value)
    else:
        raise bad_request("input must be a string or a non-empty array of strings", param="input")
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1
    ):
        raise bad_request("dimensions must be a positive integer", param="dimensions")
    truncate = body.get("truncate")
    return EmbeddingRequest(
        model=model,
        texts=texts,
        dimensions=dimensions,
        truncate=truncate if isinstance(truncate, bool) else None,
    )


def encode_response(response: EmbeddingResponse, model: str, duration_ns: int) -> bytes:
    tokens = response.usage.prompt_tokens if response.usage else 0
    return orjson.dumps(
        {
            "model": model,
            "embeddings": [list(v) for v in response.vectors],
            "total_duration": duration_ns,
            "load_duration": 0,
            "prompt_eval_count": tokens,
        }
    )


def encode_request(request: EmbeddingRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": list(request.texts)}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if request.truncate is not None:
        body["truncate"] = request.truncate
    return body


def decode_response(body: bytes) -> EmbeddingResponse:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable_answer("not JSON") from None
    vectors = data.get("embeddings") if isinstance(data, dict) else None
    if not isinstance(vectors, list) or not all(
        isinstance(v, list) and all(isinstance(x, int | float) for x in v) for v in vectors
    ):
        raise unreadable_answer("no embeddings")
    count = data.get("prompt_eval_count")
    usage = input_usage(int(count)) if isinstance(count, int | float) else None
    model = data.get("model")
    return EmbeddingResponse(
        tuple(tuple(float(x) for x in v) for v in vectors),
        usage,
        model if isinstance(model, str) else "",
    )
