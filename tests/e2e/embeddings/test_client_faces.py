"""The Gemini (`:embedContent`, `:batchEmbedContents`) and Ollama (`/api/embed`) embeddings
faces, driven by the official google-genai and ollama SDKs, in front of same-dialect and
translated providers; errors in each face's own shape."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Iterator

import ollama
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from tests.e2e.embeddings.conftest import Mocks
from tests.gateway_process import GatewayProcess
from tests.mocks.embeddings_wire import vector


@pytest.fixture
def gemini(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[genai.Client]:
    options = types.HttpOptions(base_url=gateway.base_url, timeout=20_000)
    with genai.Client(api_key="x", http_options=options) as client:
        yield client


@pytest.fixture
def ollama_client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[ollama.Client]:
    client = ollama.Client(host=gateway.base_url, timeout=20)
    yield client
    client.close()  # type: ignore[no-untyped-call]


def _post(url: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_genai_embed_content_on_gemini_and_cohere(gemini: genai.Client, upstreams: Mocks) -> None:
    config = types.EmbedContentConfig(task_type="RETRIEVAL_QUERY", output_dimensionality=4)
    answer = gemini.models.embed_content(
        model="gemini/gemini-embedding-001", contents=["a b", "c"], config=config
    )
    assert [e.values for e in answer.embeddings or []] == [vector("a b", 4), vector("c", 4)]
    item = upstreams.gemini.last_request.json["requests"][0]
    assert (item["taskType"], item["outputDimensionality"]) == ("RETRIEVAL_QUERY", 4)
    # translated: Gemini's task type becomes Cohere's input_type
    answer = gemini.models.embed_content(
        model="cohere/embed-v4.0", contents="find me", config=config
    )
    assert [e.values for e in answer.embeddings or []] == [vector("find me", 4)]
    sent = upstreams.cohere.requests[-1].json
    assert (sent["input_type"], sent["output_dimension"]) == ("search_query", 4)


def test_gemini_single_embed_content_reports_usage(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    url = gateway.base_url + "/v1beta/models/openai/text-embedding-3-small:embedContent"
    status, answer = _post(url, {"content": {"parts": [{"text": "one two three"}]}})
    assert status == 200
    assert answer["embedding"] == {"values": vector("one two three")}
    assert answer["usageMetadata"] == {"promptTokenCount": 3, "totalTokenCount": 3}
    assert upstreams.openai.last_request.json["input"] == ["one two three"]


def test_gemini_face_errors_are_google_rpc(gemini: genai.Client) -> None:
    with pytest.raises(genai_errors.ClientError) as info:
        gemini.models.embed_content(model="anthropic/claude-mock", contents="x")
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert "does not offer embeddings" in (info.value.message or "")
    with pytest.raises(genai_errors.ClientError) as info:
        gemini.models.embed_content(model="gemini/not-an-embedder", contents="x")
    assert info.value.code == 404


def test_ollama_embed_on_ollama_and_bedrock(ollama_client: ollama.Client, upstreams: Mocks) -> None:
    answer = ollama_client.embed(model="ollama/all-minilm", input=["ab", "abc"])
    want = [[math.cos(n), math.sin(n), 0.0] for n in (2, 3)]
    assert [list(v) for v in answer.embeddings] == want
    assert answer.prompt_eval_count == 2 and answer.model == "ollama/all-minilm"
    titan = ollama_client.embed(
        model="bedrock/amazon.titan-embed-text-v2:0", input="hello there", dimensions=256
    )
    assert [list(v) for v in titan.embeddings] == [vector("hello there", 256)]
    assert titan.prompt_eval_count == 2


def test_ollama_face_errors_are_ollamas(ollama_client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as info:
        ollama_client.embed(model="anthropic/claude-mock", input="x")
    assert info.value.status_code == 400 and "does not offer embeddings" in info.value.error
    with pytest.raises(ollama.ResponseError) as info:
        ollama_client.embed(model="ollama/nope", input="x")
    assert info.value.status_code == 404
