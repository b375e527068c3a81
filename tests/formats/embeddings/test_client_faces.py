"""The client side of each embeddings face, as pure values: what a request decodes to, what
an answer encodes to, and the 400s for malformed input."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest

from cloverleaf.core.embeddings import EmbeddingRequest, EmbeddingResponse, EmbeddingTask
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.gemini import embeddings as gemini_wire
from cloverleaf.formats.ollama import embeddings as ollama_wire
from cloverleaf.formats.openai_chat import embeddings as openai_wire

ANSWER = EmbeddingResponse(((1.0, -2.0), (0.5, 0.25)), Usage(7, 0, 7))


def _peek(body: dict[str, Any]) -> openai_wire.PeekedEmbedding:
    return openai_wire.parse_embedding_request(orjson.dumps(body))


def test_openai_inputs_of_every_shape() -> None:
    assert _peek({"model": "m", "input": "a"}).request.texts == ("a",)
    assert _peek({"model": "m", "input": ["a", "b"]}).request.texts == ("a", "b")
    assert _peek({"model": "m", "input": [1, 2]}).request.tokens == ((1, 2),)
    assert _peek({"model": "m", "input": [[1], [2, 3]]}).request.tokens == ((1,), (2, 3))
    peek = _peek({"model": "m", "input": "a", "input_type": "search_query", "fallbacks": ["x/y"]})
    assert (peek.request.task, peek.fallbacks) == (EmbeddingTask.SEARCH_QUERY, ("x/y",))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "a"}, "model"),
        ({"model": "m", "input": []}, "input"),
        ({"model": "m", "input": ["a", 1]}, "input"),
        ({"model": "m", "input": [[]]}, "input"),
        ({"model": "m", "input": "a", "dimensions": 0}, "dimensions"),
        ({"model": "m", "input": "a", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "m", "input": "a", "input_type": "poetry"}, "input_type"),
    ],
)
def test_openai_bad_requests_name_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as info:
        _peek(body)
    assert (info.value.status, info.value.param) == (400, param)


def test_openai_answer_floats_and_base64() -> None:
    floats = orjson.loads(openai_wire.encode_response(ANSWER, "m", "float"))
    assert [d["embedding"] for d in floats["data"]] == [[1.0, -2.0], [0.5, 0.25]]
    assert floats["usage"] == {"prompt_tokens": 7, "total_tokens": 7}
    encoded = orjson.loads(openai_wire.encode_response(ANSWER, "m", "base64"))
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    assert struct.unpack("<2f", raw) == (1.0, -2.0)


def test_forwarded_body_is_the_clients_bytes_unless_something_changes() -> None:
    raw = b'{"model":"text-embedding-3-small","input":"a"}'
    peek = openai_wire.parse_embedding_request(raw)
    assert openai_wire.forwarded_body(peek, "text-embedding-3-small") is raw
    changed = _peek(
        {"model": "openai/e", "input": "a", "fallbacks": [], "input_type": "clustering"}
    )
    assert orjson.loads(openai_wire.forwarded_body(changed, "e")) == {"model": "e", "input": "a"}


def test_gemini_single_and_batch_requests() -> None:
    single = {
        "content": {"parts": [{"text": "a"}, {"text": "b"}]},
        "taskType": "RETRIEVAL_DOCUMENT",
        "title": "T",
        "outputDimensionality": 3,
    }
    assert gemini_wire.decode_request(single, "m", batch=False) == EmbeddingRequest(
        "m", ("a\nb",), dimensions=3, task=EmbeddingTask.SEARCH_DOCUMENT, title="T"
    )
    batch = {"requests": [{"content": {"parts": [{"text": t}]}} for t in ("x", "y")]}
    assert gemini_wire.decode_request(batch, "m", batch=True).texts == ("x", "y")
    qa = {"content": {"parts": [{"text": "q"}]}, "taskType": "QUESTION_ANSWERING"}
    assert gemini_wire.decode_request(qa, "m", batch=False).task is EmbeddingTask.SEARCH_QUERY


@pytest.mark.parametrize(
    ("body", "batch"),
    [
        ({"content": {"parts": []}}, False),
        ({"requests": []}, True),
        ({"content": {"parts": [{"text": "a"}]}, "taskType": "NOPE"}, False),
        ({"content": {"parts": [{"text": "a"}]}, "outputDimensionality": -1}, False),
    ],
)
def test_gemini_bad_requests(body: dict[str, Any], batch: bool) -> None:
    with pytest.raises(GatewayError) as info:
        gemini_wire.decode_request(body, "m", batch)
    assert info.value.status == 400


def test_gemini_answers() -> None:
    usage = {"promptTokenCount": 7, "totalTokenCount": 7}
    assert orjson.loads(gemini_wire.encode_response(ANSWER, batch=True)) == {
        "embeddings": [{"values": [1.0, -2.0]}, {"values": [0.5, 0.25]}],
        "usageMetadata": usage,
    }
    one = EmbeddingResponse(((1.0,),), Usage(7, 0, 7))
    assert orjson.loads(gemini_wire.encode_response(one, batch=False)) == {
        "embedding": {"values": [1.0]},
        "usageMetadata": usage,
    }


def test_ollama_request_and_answer() -> None:
    body = {"model": "m", "input": ["a", "b"], "truncate": False, "dimensions": 2}
    assert ollama_wire.decode_request(body) == EmbeddingRequest(
        "m", ("a", "b"), dimensions=2, truncate=False
    )
    with pytest.raises(GatewayError):
        ollama_wire.decode_request({"model": "m", "input": [1]})
    answer = orjson.loads(ollama_wire.encode_response(ANSWER, "m", 5))
    assert answer == {
        "model": "m",
        "embeddings": [[1.0, -2.0], [0.5, 0.25]],
        "total_duration": 5,
        "load_duration": 0,
        "prompt_eval_count": 7,
    }


@pytest.mark.parametrize(
    ("decode", "body"),
    [
        (openai_wire.decode_response, b'{"data": [{"index": 0}]}'),
        (gemini_wire.decode_response, b'{"embeddings": [{"values": ["x"]}]}'),
        (ollama_wire.decode_response, b"not json"),
    ],
)
def test_unreadable_answers_are_502(decode: Any, body: bytes) -> None:
    with pytest.raises(GatewayError) as info:
        decode(body)
    assert (info.value.status, info.value.code) == (502, "bad_upstream_response")
