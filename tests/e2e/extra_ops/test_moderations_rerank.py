"""`POST /v1/moderations` (OpenAI only, bytes both ways) with the `openai` SDK, and
`POST /v1/rerank` over raw HTTP against Cohere's `/v2/rerank` and vLLM's `/v1/rerank`."""

from __future__ import annotations

import openai
import orjson
import pytest

from tests.e2e.extra_ops.conftest import Mocks, post
from tests.gateway_process import GatewayProcess

DOCS = ["a blue car", "the red fox runs", "red paint"]


def test_moderation_forwards_to_openai(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.moderations.create(
        model="openai/omni-moderation-latest", input=["I will kill it", "hello"]
    )
    assert [r.flagged for r in answer.results] == [True, False]
    assert answer.results[0].categories.violence is True
    sent = upstreams.openai.last_request
    assert sent.path == "/v1/moderations"
    assert sent.json == {"model": "omni-moderation-latest", "input": ["I will kill it", "hello"]}


def test_moderation_without_model_keeps_the_clients_bytes(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    raw = b'{"input": "nice day"}'
    status, answer = post(gateway, "/v1/moderations", raw)
    assert (status, answer["results"][0]["flagged"]) == (200, False)
    assert upstreams.openai.last_request.body == raw


def test_moderation_refused_for_other_providers(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.moderations.create(model="anthropic/claude-sonnet-4-5", input="x")
    assert caught.value.code == "moderations_not_supported"
    assert upstreams.anthropic.requests == []


def test_rerank_on_cohere(gateway: GatewayProcess, upstreams: Mocks) -> None:
    body = {
        "model": "cohere/rerank-v3.5",
        "query": "red fox",
        "documents": DOCS,
        "top_n": 2,
        "return_documents": True,
    }
    status, answer = post(gateway, "/v1/rerank", orjson.dumps(body))
    assert status == 200, answer
    assert answer["results"] == [
        {"index": 1, "relevance_score": 1.0, "document": {"text": DOCS[1]}},
        {"index": 2, "relevance_score": 0.5, "document": {"text": DOCS[2]}},
    ]
    assert answer["model"] == "rerank-v3.5"
    assert answer["usage"]["total_tokens"] > 0  # estimated: Cohere bills search units
    sent = upstreams.cohere.requests[-1]
    assert (sent.path, sent.headers["authorization"]) == ("/v2/rerank", "Bearer co-key")
    assert sent.json == {
        "model": "rerank-v3.5",
        "query": "red fox",
        "documents": DOCS,
        "top_n": 2,
    }


def test_rerank_on_vllm(gateway: GatewayProcess, upstreams: Mocks) -> None:
    body = {"model": "vllm/bge-reranker-v2-m3", "query": "red fox", "documents": DOCS}
    status, answer = post(gateway, "/v1/rerank", orjson.dumps(body))
    assert status == 200, answer
    assert [r["index"] for r in answer["results"]] == [1, 2, 0]
    assert all("document" not in r for r in answer["results"])
    # the provider's own count: 3 + 4 + 2 document words and 2 query words
    assert answer["usage"] == {"prompt_tokens": 11, "total_tokens": 11}
    assert upstreams.vllm.last_request.path == "/v1/rerank"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "anthropic/claude-sonnet-4-5", "query": "q", "documents": ["d"]}, 400, "model"),
        ({"model": "cohere/rerank-v3.5", "documents": ["d"]}, 400, "query"),
        ({"model": "cohere/rerank-v3.5", "query": "q", "documents": []}, 400, "documents"),
        ({"model": "cohere/rerank-v3.5", "query": "q", "documents": [3]}, 400, "documents[0]"),
        (
            {"model": "cohere/rerank-v3.5", "query": "q", "documents": ["d"], "top_n": 0},
            400,
            "top_n",
        ),
    ],
)
def test_rerank_refusals(
    gateway: GatewayProcess, upstreams: Mocks, body: dict[str, object], status: int, param: str
) -> None:
    got, answer = post(gateway, "/v1/rerank", orjson.dumps(body))
    assert (got, answer["error"]["param"]) == (status, param)
    assert upstreams.cohere.requests == [] and upstreams.anthropic.requests == []
