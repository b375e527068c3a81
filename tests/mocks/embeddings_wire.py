"""Embeddings answers for the provider mocks, in each provider's real wire format.

Every mock embeds a text into the same deterministic unit vector (`vector`), so a test can
check that the gateway put the right vector at the right index whichever provider served it.
Usage is one token per whitespace-separated word. Each function validates the body the way its
provider does and returns ``(status, json)``; errors are in the provider's error shape, which
the mock wraps.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import uuid
from typing import Any

JSON = dict[str, Any]
DEFAULT_DIMS = 8
TITAN_DIMS = (256, 512, 1024)
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")


def vector(text: str, dims: int = DEFAULT_DIMS) -> list[float]:
    """A unit vector from the text's hash, rounded so float32 round trips stay close."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] + i) % 251 - 125.0 for i in range(dims)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def words(text: str) -> int:
    return len(text.split())


# -- OpenAI `/v1/embeddings` -------------------------------------------------------------------


def openai_embeddings(body: Any) -> tuple[int, JSON]:
    """The answer, or an OpenAI error object (the mock renders ``{"error": ...}``)."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return 400, {"message": "you must provide a model parameter", "param": None}
    texts = _openai_texts(body.get("input"))
    if texts is None:
        return 400, {
            "message": "'$.input' is invalid. Please check the API reference",
            "param": "input",
        }
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        return 400, {
            "message": f"Invalid value for 'encoding_format': {encoding!r}",
            "param": "encoding_format",
        }
    dims = body.get("dimensions", DEFAULT_DIMS)
    data = []
    for index, text in enumerate(texts):
        values = vector(text, dims)
        packed = base64.b64encode(struct.pack(f"<{dims}f", *values)).decode()
        embedding: Any = packed if encoding == "base64" else values
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(max(1, words(t)) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return 200, {"object": "list", "data": data, "model": body["model"], "usage": usage}


def _openai_texts(value: Any) -> list[str] | None:
    """Token-id inputs embed as the text of their ids, so they too get a checkable vector."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(v, str) for v in value):
        return value
    if all(isinstance(v, int) for v in value):
        return [" ".join(map(str, value))]
    if all(isinstance(v, list) and all(isinstance(t, int) for t in v) for v in value):
        return [" ".join(map(str, v)) for v in value]
    return None


def token_text(tokens: list[int]) -> str:
    """What the mocks embed for a token-id input."""
    return " ".join(map(str, tokens))


# -- Gemini `:embedContent` / `:batchEmbedContents` --------------------------------------------


def gemini_embed(body: JSON, model: str, batch: bool) -> tuple[int, str | JSON]:
    """The answer, or an INVALID_ARGUMENT message."""
    if batch:
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            return 400, "* BatchEmbedContentsRequest.requests: must not be empty"
    else:
        requests = [body]
    values = []
    for index, item in enumerate(requests):
        named = item.get("model")
        if batch and named != f"models/{model}":
            return (
                400,
                f"* BatchEmbedContentsRequest.requests[{index}].model: unexpected model name format",
            )
        parts = (item.get("content") or {}).get("parts")
        texts = [p["text"] for p in parts or () if isinstance(p, dict) and "text" in p]
        if not texts or not all(isinstance(t, str) for t in texts):
            return 400, "* EmbedContentRequest.content: contents must not be empty"
        dims = item.get("outputDimensionality", DEFAULT_DIMS)
        values.append({"values": vector("\n".join(texts), dims)})
    return 200, {"embeddings": values} if batch else {"embedding": values[0]}


# -- Cohere `/v2/embed` and Bedrock's Cohere models --------------------------------------------


def cohere_embed(body: Any, *, bedrock: bool = False) -> tuple[int, str | JSON]:
    """v2's `embeddings_by_type`; on Bedrock without `embedding_types`, `embeddings_floats`."""
    if not isinstance(body, dict) or (not bedrock and not isinstance(body.get("model"), str)):
        return 400, "invalid request: model must be provided"
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        return 400, "invalid request: texts must be a non-empty list of strings"
    if body.get("input_type") not in COHERE_INPUT_TYPES:
        return 400, "invalid request: valid input_type must be provided with the provided model"
    dims = body.get("output_dimension", DEFAULT_DIMS)
    vectors = [vector(t, dims) for t in texts]
    tokens = sum(max(1, words(t)) for t in texts)
    answer: JSON = {"id": str(uuid.uuid4()), "texts": texts}
    if bedrock and "embedding_types" not in body:
        return 200, answer | {"embeddings": vectors, "response_type": "embeddings_floats"}
    meta = {"api_version": {"version": "2"}, "billed_units": {"input_tokens": tokens}}
    return 200, answer | {
        "embeddings": {"float": vectors},
        "meta": meta,
        "response_type": "embeddings_by_type",
    }


# -- Bedrock Titan (InvokeModel) ---------------------------------------------------------------


def titan_embed(body: Any) -> tuple[int, str | JSON]:
    if not isinstance(body, dict) or not isinstance(body.get("inputText"), str):
        return 400, "Malformed input request: #: required key [inputText] not found"
    extra = set(body) - {"inputText", "dimensions", "normalize", "embeddingTypes"}
    if extra:
        return (
            400,
            f"Malformed input request: #: extraneous key [{sorted(extra)[0]}] is not permitted",
        )
    dims = body.get("dimensions", 1024)
    if dims not in TITAN_DIMS:
        return 400, f"Malformed input request: #/dimensions: {dims} is not a valid enum value"
    text = body["inputText"]
    return 200, {"embedding": vector(text, dims), "inputTextTokenCount": max(1, words(text))}


# -- Vertex `:predict` -------------------------------------------------------------------------


def vertex_predict(body: Any) -> tuple[int, str | JSON]:
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list) or not instances:
        return 400, "Invalid JSON payload: instances must be a non-empty list"
    params = body.get("parameters") or {}
    dims = params.get("outputDimensionality", DEFAULT_DIMS)
    predictions = []
    for instance in instances:
        text = instance.get("content") if isinstance(instance, dict) else None
        if not isinstance(text, str):
            return 400, "Invalid JSON payload: instance.content must be a string"
        statistics = {"truncated": False, "token_count": max(1, words(text))}
        predictions.append({"embeddings": {"statistics": statistics, "values": vector(text, dims)}})
    characters = sum(len(i["content"]) for i in instances)
    return 200, {"predictions": predictions, "metadata": {"billableCharacterCount": characters}}


# -- Bedrock InvokeModel -----------------------------------------------------------------------


def bedrock_invoke(model: str, body: Any) -> tuple[int, str | JSON, int]:
    """(status, answer or ValidationException message, input tokens for Bedrock's header)."""
    if "amazon.titan-embed" in model:
        status, answer = titan_embed(body)
    elif "cohere.embed" in model:
        status, answer = cohere_embed(body, bedrock=True)
    else:
        return 400, f"The provided model identifier is invalid: {model}", 0
    if isinstance(answer, str):
        return status, answer, 0
    texts = [body["inputText"]] if "inputText" in body else body["texts"]
    return status, answer, sum(max(1, words(t)) for t in texts)
