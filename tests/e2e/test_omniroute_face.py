"""OmniRoute's inference paths (seed 004) on a real gateway process in front of the OpenAI,
Anthropic and Gemini mocks: the official SDKs under `/api/v1` and `/api/v1beta`, the provider
forced by `/api/v1/providers/{provider}/...`, 502 when every upstream failed, errors in the
dialect of each path, and answers validated against the seed's schemas."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import types as gtypes
from openai.types.chat import ChatCompletionMessageParam

from cloverleaf.core.errors import GatewayError
from cloverleaf.server.client_auth import renderer_for
from tests.e2e.seed_faces import Mocks
from tests.gateway_process import GatewayProcess
from tests.management.seed_schema import assert_valid
from tests.mocks import anthropic_upstream, gemini_upstream, openai_upstream

SEED = (
    Path(__file__).parents[2] / "cloverleaf" / "openapi" / "schemas" / "omniroute" / "openapi.yaml"
)
MODELS = "paths/~1api~1v1~1models/get/responses/200/content/application~1json/schema"
CHAT = "components/schemas/ChatCompletionResponse"
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(stack)


@pytest.fixture(scope="module")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    with GatewayProcess(tmp_path_factory.mktemp("omniroute"), mocks.config()) as process:
        yield process


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


@pytest.fixture
def sdk(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=gateway.base_url + "/api/v1", api_key="sk-client", max_retries=0, timeout=10
    ) as client:
        yield client


def call(base_url: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method="POST" if data else "GET")
    request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_openai_sdk_chats_same_dialect_and_translated(sdk: openai.OpenAI, upstreams: Mocks) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model="openai/gpt-4o-mini", messages=HI)
    assert_valid(json.loads(raw.content), CHAT, SEED)
    assert raw.parse().choices[0].message.content == "echo: hi"
    upstreams.anthropic.enqueue(anthropic_upstream.Text("from claude"))
    answer = sdk.chat.completions.create(model="anthropic/claude-mock", messages=HI)
    assert answer.choices[0].message.content == "from claude"
    assert upstreams.anthropic.requests[0].path == "/v1/messages"
    stream = sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "echo: hi"


def test_the_provider_path_forces_the_provider(gateway: GatewayProcess, upstreams: Mocks) -> None:
    upstreams.gemini.enqueue(gemini_upstream.Text("from gemini"))
    base_url = gateway.base_url + "/api/v1/providers/gemini"
    with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=10) as forced:
        answer = forced.chat.completions.create(model="gemini-2.5-flash", messages=HI)
    assert answer.choices[0].message.content == "from gemini"
    assert ":generateContent" in upstreams.gemini.requests[0].path
    assert upstreams.openai.requests == []
    status, error = call(
        gateway.base_url,
        "/api/v1/providers/nope/chat/completions",
        {"model": "gpt-4o", "messages": HI},
    )
    assert status == 404 and "not configured" in error["error"]["message"]


def test_anthropic_sdk_messages_and_count_tokens(gateway: GatewayProcess, upstreams: Mocks) -> None:
    """OmniRoute's `/api/v1/messages` is what the Anthropic SDK calls with base_url `/api`."""
    with anthropic.Anthropic(
        base_url=gateway.base_url + "/api", api_key="sk-client", max_retries=0, timeout=10
    ) as client:
        upstreams.anthropic.enqueue(anthropic_upstream.Text("hello back"))
        message = client.messages.create(
            model="anthropic/claude-mock",
            max_tokens=16,
            messages=[{"role": "user", "content": "hi"}],
        )
        assert [b.text for b in message.content if b.type == "text"] == ["hello back"]
        message = client.messages.create(
            model="openai/gpt-4o-mini", max_tokens=16, messages=[{"role": "user", "content": "yo"}]
        )
        assert [b.text for b in message.content if b.type == "text"] == ["echo: yo"]
        count = client.messages.count_tokens(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "count me"}]
        )
        assert count.input_tokens > 0
        with pytest.raises(anthropic.BadRequestError) as info:
            client.messages.create(model="anthropic/claude-mock", max_tokens=16, messages=[])
        assert info.value.body["type"] == "error"  # type: ignore[index]


def test_ollama_chat_under_api_v1(gateway: GatewayProcess, upstreams: Mocks) -> None:
    body = {"model": "openai/gpt-4o-mini", "messages": HI, "stream": False}
    status, answer = call(gateway.base_url, "/api/v1/api/chat", body)
    assert status == 200 and answer["message"]["content"] == "echo: hi" and answer["done"]
    status, error = call(gateway.base_url, "/api/v1/api/chat", {"messages": HI})
    assert status == 400 and isinstance(error["error"], str)


def test_embeddings_plain_and_provider_forced(
    gateway: GatewayProcess, sdk: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = sdk.embeddings.create(model="openai/text-embedding-3-small", input=["a", "b c"])
    assert len(answer.data) == 2 and answer.data[0].embedding
    assert upstreams.openai.requests[-1].path == "/v1/embeddings"
    status, body = call(
        gateway.base_url,
        "/api/v1/providers/gemini/embeddings",
        {"model": "gemini-embedding-001", "input": "one two"},
    )
    assert status == 200 and len(body["data"]) == 1 and body["data"][0]["embedding"]
    assert "gemini-embedding-001:" in upstreams.gemini.requests[-1].path


def test_moderations_and_rerank_under_api_v1(
    gateway: GatewayProcess, sdk: openai.OpenAI, upstreams: Mocks
) -> None:
    moderation = sdk.moderations.create(model="openai/omni-moderation-latest", input="hello")
    assert len(moderation.results) == 1
    assert upstreams.openai.requests[-1].path == "/v1/moderations"
    body = {"model": "cohere/rerank-v3.5", "query": "q", "documents": ["a", "b"]}
    status, answer = call(gateway.base_url, "/api/v1/rerank", body)
    assert status == 200 and len(answer["results"]) == 2, answer
    assert upstreams.cohere.requests[-1].path == "/v2/rerank"


def test_model_lists(gateway: GatewayProcess, upstreams: Mocks) -> None:
    for path in ("/api/v1/models", "/api/v1"):
        status, body = call(gateway.base_url, path)
        assert status == 200
        assert_valid(body, MODELS, SEED)
        assert "openai/gpt-4o-mini" in {m["id"] for m in body["data"]}
    status, body = call(gateway.base_url, "/api/v1beta/models")
    assert status == 200 and "models/gemini/gemini-2.5-flash" in {m["name"] for m in body["models"]}


def test_genai_sdk_under_api_v1beta(gateway: GatewayProcess, upstreams: Mocks) -> None:
    upstreams.gemini.enqueue(gemini_upstream.Text("gemini says hi"))
    options = gtypes.HttpOptions(base_url=gateway.base_url + "/api", api_version="v1beta")
    client = genai.Client(api_key="x", http_options=options)
    try:
        answer = client.models.generate_content(model="gemini/gemini-2.5-flash", contents="hi")
    finally:
        client.close()
    assert answer.text == "gemini says hi"
    assert ":generateContent" in upstreams.gemini.requests[0].path
    status, error = call(gateway.base_url, "/api/v1beta/models/gemini-2.5-flash:bogus", {})
    assert status == 404 and error["error"]["status"] == "NOT_FOUND"


def test_all_upstreams_failed_is_502_on_omniroute_paths_only(
    gateway: GatewayProcess, sdk: openai.OpenAI, upstreams: Mocks
) -> None:
    upstreams.openai.enqueue(openai_upstream.Error(429, "slow down"))
    status, _ = call(
        gateway.base_url, "/v1/chat/completions", {"model": "openai/gpt-4o", "messages": HI}
    )
    assert status == 429  # the gateway's own face keeps the upstream's verdict
    upstreams.openai.enqueue(openai_upstream.Error(429, "slow down"))
    upstreams.anthropic.enqueue(anthropic_upstream.Error(529, "overloaded"))
    with pytest.raises(openai.APIStatusError) as info:
        sdk.chat.completions.create(
            model="openai/gpt-4o",
            messages=HI,
            extra_body={"fallbacks": ["anthropic/claude-mock"]},
        )
    assert info.value.status_code == 502
    assert len(upstreams.openai.requests) == 2 and len(upstreams.anthropic.requests) == 1
    upstreams.anthropic.enqueue(anthropic_upstream.Error(429, "rate limited"))
    body = {"model": "anthropic/claude-mock", "max_tokens": 8, "messages": HI}
    status, error = call(gateway.base_url, "/api/v1/messages", body)
    assert (
        status == 502 and error["type"] == "error" and "rate limited" in error["error"]["message"]
    )


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/api/v1/chat/completions", "openai"),
        ("/api/v1/embeddings", "openai"),
        ("/api/v1", "openai"),
        ("/api/v1/messages", "anthropic"),
        ("/api/v1/messages/count_tokens", "anthropic"),
        ("/api/v1beta/models/gemini-2.5-flash:generateContent", "gemini"),
        ("/api/v1/api/chat", "ollama"),
        ("/api/tags", "ollama"),
        ("/llms/openai", "inference-gateway"),
    ],
)
def test_client_auth_errors_speak_the_paths_dialect(path: str, shape: str) -> None:
    body = json.loads(renderer_for(path)(GatewayError(401, "no key", code="invalid_key")))
    match shape:
        case "openai":
            assert body["error"]["message"] == "no key" and "type" in body["error"]
        case "anthropic":
            assert body["type"] == "error" and body["error"]["message"] == "no key"
        case "gemini":
            assert body["error"]["code"] == 401 and body["error"]["status"] == "UNAUTHENTICATED"
        case _:
            assert body == {"error": "no key"}
