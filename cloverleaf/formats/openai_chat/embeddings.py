"""OpenAI's `/embeddings` wire, both ways: what a client sends and reads, what an upstream of the
OpenAI family receives and answers. Pure values in, values out."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingTask,
    unreadable_answer,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks

#: consumed by the gateway, never forwarded (OpenAI rejects unknown arguments)
GATEWAY_FIELDS = ("fallbacks", "input_type")
ENCODINGS = ("float", "base64")


@dataclass(frozen=True, slots=True)
class PeekedEmbedding:
    """An OpenAI client's request: the core view plus its bytes, for same-dialect forwarding."""

    raw: bytes
    body: dict[str, Any]
    request: EmbeddingRequest
    encoding: str
    fallbacks: tuple[str, ...]


def parse_embedding_request(raw: bytes) -> PeekedEmbedding:
    """Validate what the gateway relies on; an OpenAI-family upstream validates the rest."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    texts, tokens = _inputs(body.get("input"))
    encoding = body.get("encoding_format", "float")
    if encoding is None:
        encoding = "float"
    if encoding not in ENCODINGS:
        raise bad_request("encoding_format must be 'float' or 'base64'", param="encoding_format")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise bad_request("user must be a string", param="user")
    request = EmbeddingRequest(
        model=model,
        texts=texts,
        tokens=tokens,
        dimensions=positive_int(body.get("dimensions"), "dimensions"),
        task=_task(body.get("input_type")),
        user=user,
    )
    return PeekedEmbedding(raw, body, request, encoding, _fallbacks(body.get("fallbacks")))


def positive_int(value: Any, param: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request(f"{param} must be a positive integer", param=param)
    return value


def _inputs(value: Any) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """`input`: a string, strings, token ids, or arrays of token ids — never empty."""
    problem = bad_request(
        "input must be a non-empty string, array of strings, array of token ids or array of "
        "token-id arrays",
        param="input",
    )
    if isinstance(value, str):
        return (value,), ()
    if not isinstance(value, list) or not value:
        raise problem
    if all(isinstance(item, str) for item in value):
        return tuple(value), ()
    if all(_is_token(item) for item in value):
        return (), (tuple(value),)
    if all(isinstance(i, list) and i and all(_is_token(t) for t in i) for i in value):
        return (), tuple(tuple(item) for item in value)
    raise problem


def _is_token(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _task(value: Any) -> EmbeddingTask | None:
    """`input_type` (LiteLLM's and Cohere's-compat extension) picks Cohere/Gemini's task."""
    if value is None:
        return None
    try:
        return EmbeddingTask(value)
    except ValueError:
        allowed = ", ".join(task.value for task in EmbeddingTask)
        raise bad_request(f"input_type must be one of {allowed}", param="input_type") from None


# -- client side: the answer ------------------------------------------------------------------


def encode_vector_base64(vector: tuple[float, ...] | list[float]) -> str:
    """OpenAI's base64 form: the vector as little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def encode_response(response: EmbeddingResponse, model: str, encoding: str) -> bytes:
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": encode_vector_base64(vector) if encoding == "base64" else vector,
        }
        for index, vector in enumerate(response.vectors)
    ]
    usage = response.usage or Usage()
    return orjson.dumps(
        {
            "object": "list",
            "data": data,
            "model": response.model or model,
            "usage": {"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.prompt_tokens},
        }
    )


# -- upstream side ----------------------------------------------------------------------------


def forwarded_body(peek: PeekedEmbedding, model: str) -> bytes:
    """The client's own bytes when nothing must change, else its body with the provider's model
    id and without the gateway's own fields."""
    body = peek.body
    if body.get("model") == model and not any(name in body for name in GATEWAY_FIELDS):
        return peek.raw
    out = {k: v for k, v in body.items() if k not in GATEWAY_FIELDS}
    out["model"] = model
    return orjson.dumps(out)


def encode_request(request: EmbeddingRequest, model: str) -> dict[str, Any]:
    """For clients of other dialects: always floats, which every other face needs."""
    wire: dict[str, Any] = {"model": model, "encoding_format": "float"}
    if request.tokens:
        wire["input"] = [list(t) for t in request.tokens]
    else:
        wire["input"] = list(request.texts)
    if request.dimensions is not None:
        wire["dimensions"] = request.dimensions
    if request.user is not None:
        wire["user"] = request.user
    return wire


def decode_response(body: bytes) -> EmbeddingResponse:
    """An OpenAI-family answer, float or base64 items, back in input order."""
    data = _json(body)
    items = data.get("data")
    if not isinstance(items, list):
        raise unreadable_answer("no data array")
    ordered = sorted(items, key=lambda item: item.get("index", 0) if isinstance(item, dict) else 0)
    vectors = tuple(_vector(item) for item in ordered)
    model = data.get("model")
    return EmbeddingResponse(
        vectors, Usage.from_openai(data.get("usage")), model if isinstance(model, str) else ""
    )


def _vector(item: Any) -> tuple[float, ...]:
    value = item.get("embedding") if isinstance(item, dict) else None
    if isinstance(value, str):
        raw = base64.b64decode(value)
        return struct.unpack(f"<{len(raw) // 4}f", raw)
    if isinstance(value, list) and all(isinstance(x, int | float) for x in value):
        return tuple(float(x) for x in value)
    raise unreadable_answer("an item without an embedding")


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable_answer("not JSON") from None
    if not isinstance(data, dict):
        raise unreadable_answer("not a JSON object")
    return data
