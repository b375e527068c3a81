"""The mocks' embeddings endpoints must speak the real wire: each provider's official SDK is the
judge (openai, google-genai on the Gemini API and on Vertex, cohere, boto3 invoke_model).
Gateway embeddings tests trust these endpoints as "the provider"."""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import cohere
import httpx
import openai
import pytest
from botocore.exceptions import ClientError
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from tests.mocks.bedrock_invoke import MockBedrockRuntime
from tests.mocks.cohere_upstream import MockCohere
from tests.mocks.embeddings_wire import token_text, vector
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.oauth_upstream import MockIdentity, service_account
from tests.mocks.openai_upstream import MockOpenAI
from tests.mocks.test_bedrock_upstream import make_client
from tests.mocks.test_vertex_upstream import PROJECT, REGION, _genai
from tests.mocks.vertex_upstream import MockVertex


def _close(got: list[float] | None, want: list[float]) -> bool:
    return (
        got is not None
        and len(got) == len(want)
        and all(abs(a - b) < 1e-6 for a, b in zip(got, want, strict=True))
    )


def test_openai_sdk_embeds_floats_base64_dimensions_and_tokens() -> None:
    with (
        MockOpenAI() as mock,
        openai.OpenAI(base_url=mock.base_url + "/v1", api_key="sk-test", max_retries=0) as client,
    ):
        # the SDK asks for base64 unless told otherwise, and decodes it itself
        answer = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
        assert json.loads(mock.last_request.body)["encoding_format"] == "base64"
        assert [
            _close(d.embedding, vector(t)) for d, t in zip(answer.data, ["a b", "c"], strict=True)
        ] == [True, True]
        assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (3, 3)
        floats = client.embeddings.create(
            model="text-embedding-3-small", input="hi", encoding_format="float", dimensions=4
        )
        assert floats.data[0].embedding == vector("hi", 4)
        tokens = client.embeddings.create(model="text-embedding-3-small", input=[[1, 2], [3]])
        assert _close(tokens.data[1].embedding, vector(token_text([3])))
        with pytest.raises(openai.BadRequestError) as info:
            client.embeddings.create(model="text-embedding-3-small", input=[])
        assert info.value.param == "input"


def test_genai_sdk_embeds_on_the_gemini_api() -> None:
    with (
        MockGemini(api_keys=("k",)) as mock,
        genai.Client(api_key="k", http_options=types.HttpOptions(base_url=mock.base_url)) as client,
    ):
        config = types.EmbedContentConfig(task_type="RETRIEVAL_QUERY", output_dimensionality=4)
        answer = client.models.embed_content(
            model="gemini-embedding-001", contents=["one", "two"], config=config
        )
        assert [e.values for e in answer.embeddings or []] == [vector("one", 4), vector("two", 4)]
        request = mock.last_request
        assert request.path.endswith("/models/gemini-embedding-001:batchEmbedContents")
        item = request.json["requests"][0]
        assert (item["model"], item["taskType"]) == (
            "models/gemini-embedding-001",
            "RETRIEVAL_QUERY",
        )
        with pytest.raises(genai_errors.ClientError) as info:
            client.models.embed_content(model="no-such-embedder", contents="x")
        assert info.value.code == 404


def test_genai_sdk_embeds_on_vertex_predict() -> None:
    with MockIdentity() as identity:
        info, google = service_account(identity.token_uri)
        identity.google = google
        with MockVertex(identity.accepts, project=PROJECT, region=REGION) as mock:
            with _genai(mock, info) as client:
                answer = client.models.embed_content(
                    model="text-embedding-005", contents=["alpha beta", "gamma"]
                )
            assert [e.values for e in answer.embeddings or []] == [
                vector("alpha beta"),
                vector("gamma"),
            ]
            stats = [e.statistics.token_count for e in answer.embeddings or [] if e.statistics]
            assert stats == [2, 1]
            assert mock.requests[-1].path.endswith(
                "/publishers/google/models/text-embedding-005:predict"
            )


@pytest.fixture
def cohere_client() -> Iterator[tuple[MockCohere, cohere.ClientV2]]:
    with MockCohere(api_key="co-test") as mock, httpx.Client(trust_env=False, timeout=5) as http:
        yield mock, cohere.ClientV2(api_key="co-test", base_url=mock.base_url, httpx_client=http)


def test_cohere_sdk_embeds(cohere_client: tuple[MockCohere, cohere.ClientV2]) -> None:
    mock, client = cohere_client
    answer = client.embed(
        model="embed-v4.0", texts=["x y z"], input_type="search_query", embedding_types=["float"]
    )
    assert answer.embeddings.float_ == [vector("x y z")]
    assert answer.meta is not None and answer.meta.billed_units is not None
    assert answer.meta.billed_units.input_tokens == 3
    assert mock.requests[-1].path == "/v2/embed"
    with pytest.raises(cohere.BadRequestError):
        client.embed(
            model="embed-v4.0", texts=[], input_type="search_query", embedding_types=["float"]
        )


def test_boto3_invoke_model_embeds_with_titan_and_cohere(monkeypatch: pytest.MonkeyPatch) -> None:
    with MockBedrockRuntime() as mock:
        client = make_client(monkeypatch, mock)
        try:
            titan = client.invoke_model(
                modelId="amazon.titan-embed-text-v2:0",
                body=json.dumps({"inputText": "to be or", "dimensions": 256}),
            )
            body: Any = json.loads(titan["body"].read())
            assert body["embedding"] == vector("to be or", 256) and body["inputTextTokenCount"] == 3
            headers = titan["ResponseMetadata"]["HTTPHeaders"]
            assert headers["x-amzn-bedrock-input-token-count"] == "3"
            coh = client.invoke_model(
                modelId="cohere.embed-english-v3",
                body=json.dumps({"texts": ["a", "b"], "input_type": "search_document"}),
            )
            body = json.loads(coh["body"].read())
            assert body["embeddings"] == [vector("a"), vector("b")]
            assert body["response_type"] == "embeddings_floats"
            with pytest.raises(ClientError) as info:
                client.invoke_model(
                    modelId="amazon.titan-embed-text-v2:0",
                    body=json.dumps({"inputText": "x", "dimensions": 7}),
                )
            assert info.value.response["Error"]["Code"] == "ValidationException"
        finally:
            client.close()
