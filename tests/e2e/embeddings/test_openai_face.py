"""`POST /v1/embeddings` through a real gateway with the official `openai` SDK: forwarded as
bytes to the OpenAI family and Azure, translated for Gemini, Cohere, Bedrock and Ollama."""

from __future__ import annotations

import base64
import json
import math
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.e2e.embeddings.conftest import Mocks
from tests.e2e.sdk import openai_sdk
from tests.gateway_process import GatewayProcess
from tests.mocks.embeddings_wire import token_text, vector

TEXTS = ["the quick fox", "jumps"]


@pytest.fixture
def client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai_sdk(gateway) as sdk:
        yield sdk


def _close(got: list[float], want: list[float]) -> bool:
    """float32 (base64) round trips are exact to ~1e-7 for unit vectors."""
    return len(got) == len(want) and all(abs(a - b) < 1e-6 for a, b in zip(got, want, strict=True))


def _raw(gateway: GatewayProcess, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        gateway.base_url + "/v1/embeddings",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_openai_same_dialect_forwards_the_clients_body(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    # the SDK asks for base64 by default and decodes it: the provider's bytes came back as-is
    answer = client.embeddings.create(model="openai/text-embedding-3-small", input=TEXTS, user="u1")
    assert [_close(d.embedding, vector(t)) for d, t in zip(answer.data, TEXTS, strict=True)] == [
        True,
        True,
    ]
    assert (answer.usage.prompt_tokens, answer.model) == (4, "text-embedding-3-small")
    sent = upstreams.openai.last_request.json
    assert sent == {
        "model": "text-embedding-3-small",
        "input": TEXTS,
        "encoding_format": "base64",
        "user": "u1",
    }


def test_bifrost_openai_prefix(gateway: GatewayProcess, upstreams: Mocks) -> None:
    base_url = gateway.base_url + "/openai/v1"
    with openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=20) as sdk:
        answer = sdk.embeddings.create(model="openai/text-embedding-3-small", input="p")
    assert _close(answer.data[0].embedding, vector("p"))


def test_openai_floats_dimensions_and_token_input(client: openai.OpenAI) -> None:
    answer = client.embeddings.create(
        model="openai/text-embedding-3-small", input="hi", dimensions=4, encoding_format="float"
    )
    assert answer.data[0].embedding == vector("hi", 4)
    tokens = client.embeddings.create(model="openai/text-embedding-3-small", input=[[5, 6], [7]])
    assert _close(tokens.data[1].embedding, vector(token_text([7])))


def test_gemini_translated_floats_and_base64(client: openai.OpenAI, upstreams: Mocks) -> None:
    model = "gemini/gemini-embedding-001"
    answer = client.embeddings.create(model=model, input=TEXTS, encoding_format="float")
    assert [d.embedding for d in answer.data] == [vector(t) for t in TEXTS]
    assert [d.index for d in answer.data] == [0, 1]
    # Gemini reports no usage: the gateway's estimate (~4 characters a token), never zero
    assert answer.usage.prompt_tokens == math.ceil(13 / 4) + math.ceil(5 / 4)
    request = upstreams.gemini.last_request
    assert request.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    single = client.embeddings.create(model=model, input="one", dimensions=4)  # base64
    assert _close(single.data[0].embedding, vector("one", 4))
    sent = upstreams.gemini.last_request
    assert sent.path.endswith(":embedContent")
    assert sent.json["outputDimensionality"] == 4


def test_base64_is_little_endian_float32(gateway: GatewayProcess) -> None:
    body = {"model": "cohere/embed-v4.0", "input": "abc", "encoding_format": "base64"}
    status, answer = _raw(gateway, body)
    assert status == 200
    encoded = answer["data"][0]["embedding"]
    raw = base64.b64decode(encoded)
    assert _close(list(struct.unpack(f"<{len(raw) // 4}f", raw)), vector("abc"))


def test_cohere_input_type_default_and_override(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.embeddings.create(
        model="cohere/embed-v4.0", input=TEXTS, encoding_format="float", dimensions=8
    )
    assert [d.embedding for d in answer.data] == [vector(t) for t in TEXTS]
    assert answer.usage.prompt_tokens == 4  # Cohere's billed units
    sent = upstreams.cohere.requests[-1].json
    assert sent["input_type"] == "search_document" and sent["output_dimension"] == 8
    client.embeddings.create(
        model="cohere/embed-v4.0", input="q", extra_body={"input_type": "search_query"}
    )
    assert upstreams.cohere.requests[-1].json["input_type"] == "search_query"


def test_bedrock_titan_one_call_per_text_and_cohere_in_one(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    titan = client.embeddings.create(
        model="bedrock/amazon.titan-embed-text-v2:0", input=TEXTS, dimensions=256
    )
    assert [_close(d.embedding, vector(t, 256)) for d, t in zip(titan.data, TEXTS, strict=True)]
    assert titan.usage.prompt_tokens == 4  # the sum of both calls' inputTextTokenCount
    paths = sorted(r.raw_path for r in upstreams.bedrock.requests)
    assert paths == ["/model/amazon.titan-embed-text-v2%3A0/invoke"] * 2
    upstreams.bedrock.reset()
    cohere = client.embeddings.create(model="bedrock/cohere.embed-english-v3", input=TEXTS)
    assert [_close(d.embedding, vector(t)) for d, t in zip(cohere.data, TEXTS, strict=True)]
    assert cohere.usage.prompt_tokens == 4  # from Bedrock's token-count header
    (call,) = upstreams.bedrock.requests
    assert json.loads(call.body) == {
        "texts": TEXTS,
        "input_type": "search_document",
        "embedding_types": ["float"],
    }


def test_ollama_and_azure(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.embeddings.create(model="ollama/all-minilm", input=["ab", "abc"])
    want = [[math.cos(n), math.sin(n), 0.0] for n in (2, 3)]  # the Ollama mock's vectors
    assert [_close(d.embedding, w) for d, w in zip(answer.data, want, strict=True)] == [True] * 2
    assert answer.usage.prompt_tokens == 2  # prompt_eval_count
    azure = client.embeddings.create(model="azure/text-embedding-3-small", input="x")
    assert _close(azure.data[0].embedding, vector("x"))
    (call,) = upstreams.azure.calls
    assert (call.deployment, call.api_version) == ("my-embedder", "2024-06-01")


def test_fallback_to_another_provider(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.embeddings.create(
        model="gemini/not-an-embedder",
        input="fall back",
        encoding_format="float",
        extra_body={"fallbacks": ["cohere/embed-v4.0"]},
    )
    assert answer.data[0].embedding == vector("fall back")
    assert upstreams.gemini.last_request.path.endswith("not-an-embedder:embedContent")
    assert "fallbacks" not in upstreams.cohere.requests[-1].json


def test_errors_are_clear_and_in_openais_shape(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-model-anywhere", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="anthropic/claude-mock", input="x")
    assert "does not offer embeddings" in info.value.message
    assert info.value.code == "embeddings_not_supported"
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="chat-only/text-embedding-3-small", input="x")
    assert info.value.code == "request_type_not_allowed"
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="gemini/gemini-embedding-001", input=[[1, 2]])
    assert info.value.code == "tokens_not_supported"
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="openai/text-embedding-3-small", input=[])
    assert info.value.param == "input"
    with pytest.raises(openai.BadRequestError) as info:  # the provider's own 400, passed on
        client.embeddings.create(
            model="bedrock/amazon.titan-embed-text-v2:0", input="x", dimensions=7
        )
    assert "dimensions" in info.value.message
    assert [r for r in upstreams.anthropic.requests if r.method == "POST"] == []  # no call made
