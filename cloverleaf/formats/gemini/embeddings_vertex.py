"""Vertex AI's `:predict` embeddings wire for Google's embedding models (text-embedding-*,
gemini-embedding-*): `instances[]` in, `predictions[].embeddings` out, with a token count per
input in `statistics`, so Vertex answers carry real usage where the Gemini API has none."""

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
from cloverleaf.formats.gemini.embeddings import TO_GEMINI, values_of


def encode_request(request: EmbeddingRequest, texts: tuple[str, ...]) -> dict[str, Any]:
    """The body for `texts` (all of the request's, or one of them: gemini-embedding models take
    a single instance per call)."""
    instances = []
    for text in texts:
        instance: dict[str, Any] = {"content": text}
        if request.task is not None:
            instance["task_type"] = TO_GEMINI[request.task]
            if request.title and request.task is EmbeddingTask.SEARCH_DOCUMENT:
                instance["title"] = request.title
        instances.append(instance)
    body: dict[str, Any] = {"instances": instances}
    parameters: dict[str, Any] = {}
    if request.dimensions is not None:
        parameters["outputDimensionality"] = request.dimensions
    if request.truncate is not None:
        parameters["autoTruncate"] = request.truncate
    if parameters:
        body["parameters"] = parameters
    return body


def decode_response(body: bytes) -> EmbeddingResponse:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable_answer("not JSON") from None
    predictions = data.get("predictions") if isinstance(data, dict) else None
    if not isinstance(predictions, list):
        raise unreadable_answer("no predictions")
    vectors = []
    tokens = 0
    for prediction in predictions:
        embeddings = prediction.get("embeddings") if isinstance(prediction, dict) else None
        vectors.append(values_of(embeddings))
        statistics = embeddings.get("statistics") if isinstance(embeddings, dict) else None
        count = statistics.get("token_count") if isinstance(statistics, dict) else None
        tokens += int(count) if isinstance(count, int | float) else 0
    return EmbeddingResponse(tuple(vectors), input_usage(tokens))
