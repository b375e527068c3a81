"""Vertex AI through a real gateway: Gemini and Claude models, a service account's token.

The gateway signs in with a generated service-account key at the identity mock and calls the
Vertex mock with the token it got; clients are the official OpenAI, Anthropic and google-genai
SDKs. Two more providers share the gateway: one whose identity service is down, one whose
service-account key the identity service does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gtypes
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from tests.gateway_process import GatewayProcess, free_port
from tests.mocks.anthropic_upstream import ToolCalls as ClaudeTools
from tests.mocks.gemini_upstream import ToolCalls as GeminiTools
from tests.mocks.oauth_upstream import MockIdentity, service_account
from tests.mocks.vertex_upstream import MockVertex

PROJECT, REGION = "test-project", "us-central1"
GEMINI, CLAUDE = "vertex/gemini-2.5-flash", "vertex/claude-mock-4"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def identity() -> Iterator[MockIdentity]:
    with MockIdentity() as mock:
        yield mock


@pytest.fixture(scope="module")
def vertex(identity: MockIdentity) -> Iterator[MockVertex]:
    with MockVertex(identity.accepts, project=PROJECT, region=REGION) as mock:
        yield mock


def _provider(name: str, info: dict[str, Any], base_url: str, custom: bool) -> dict[str, Any]:
    block = {
        "project_id": PROJECT,
        "region": REGION,
        "auth_credentials": orjson.dumps(info).decode(),
    }
    config: dict[str, Any] = {
        "keys": [{"name": name, "vertex_key_config": block}],
        "network_config": {"base_url": base_url},
    }
    if custom:
        config["custom_provider_config"] = {"base_provider_type": "vertex"}
    return config


@pytest.fixture(scope="module")
def gateway(
    identity: MockIdentity, vertex: MockVertex, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    info, account = service_account(identity.token_uri)
    identity.google = account
    unknown, _ = service_account(identity.token_uri, email=info["client_email"])  # other key
    down, _ = service_account(f"http://127.0.0.1:{free_port()}/token")
    providers = {
        "vertex": _provider("sa", info, vertex.base_url, custom=False),
        "vertexdown": _provider("down-sa", down, vertex.base_url, custom=True),
        "vertexbad": _provider("bad-sa", unknown, vertex.base_url, custom=True),
    }
    workdir: Path = tmp_path_factory.mktemp("vertex")
    with GatewayProcess(workdir, {"providers": providers}) as process:
        yield process


@pytest.fixture
def mock(vertex: MockVertex) -> MockVertex:
    vertex.reset()
    return vertex


def _openai(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0)


def _anthropic(gateway: GatewayProcess) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0)


def _genai(gateway: GatewayProcess) -> genai.Client:
    options = gtypes.HttpOptions(base_url=gateway.base_url, timeout=20_000)
    return genai.Client(api_key="x", http_options=options)


def _chat_and_stream(sdk: openai.OpenAI, model: str) -> tuple[str | None, str]:
    ask: Any = [{"role": "user", "content": "hello vertex"}]
    answer = sdk.chat.completions.create(model=model, messages=ask)
    chunks = sdk.chat.completions.create(model=model, messages=ask, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return answer.choices[0].message.content, text


def _tool_round_trip(sdk: openai.OpenAI, model: str) -> tuple[dict[str, Any], str | None]:
    messages: list[Any] = [{"role": "user", "content": "weather in Paris?"}]
    tools: Any = [WEATHER]
    first = sdk.chat.completions.create(model=model, messages=messages, tools=tools)
    call = (first.choices[0].message.tool_calls or [])[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "get_weather"
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C sunny"},
    ]
    second = sdk.chat.completions.create(model=model, messages=messages, tools=tools)
    return orjson.loads(call.function.arguments), second.choices[0].message.content


def test_openai_client_to_vertex_gemini(gateway: GatewayProcess, mock: MockVertex) -> None:
    with _openai(gateway) as sdk:
        assert _chat_and_stream(sdk, GEMINI) == ("echo: hello vertex", "echo: hello vertex")
        mock.gemini.enqueue(GeminiTools([("get_weather", {"city": "Paris"})]))
        arguments, answer = _tool_round_trip(sdk, GEMINI)
    assert arguments == {"city": "Paris"}
    assert answer == "echo: get_weather: " + orjson.dumps({"result": "18C sunny"}).decode()
    path = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/gemini-2.5-flash"
    assert [r.path for r in mock.requests][:2] == [
        f"{path}:generateContent",
        f"{path}:streamGenerateContent",
    ]
    assert mock.requests[1].query == "alt=sse"


def test_openai_client_to_vertex_claude(gateway: GatewayProcess, mock: MockVertex) -> None:
    with _openai(gateway) as sdk:
        assert _chat_and_stream(sdk, CLAUDE) == ("echo: hello vertex", "echo: hello vertex")
        mock.claude.enqueue(ClaudeTools([("get_weather", {"city": "Paris"})]))
        arguments, answer = _tool_round_trip(sdk, CLAUDE)
    assert arguments == {"city": "Paris"}
    assert answer == "echo: 18C sunny"
    first, streamed = mock.requests[:2]
    assert first.path.endswith("/publishers/anthropic/models/claude-mock-4:rawPredict")
    assert streamed.path.endswith("/publishers/anthropic/models/claude-mock-4:streamRawPredict")
    for request in mock.requests:
        assert request.json["anthropic_version"] == "vertex-2023-10-16"
        assert "model" not in request.json


def test_anthropic_client_is_forwarded_to_vertex_claude(
    gateway: GatewayProcess, mock: MockVertex
) -> None:
    ask: Any = [{"role": "user", "content": "same dialect"}]
    with _anthropic(gateway) as sdk:
        message = sdk.messages.create(
            model=CLAUDE, max_tokens=40, messages=ask, metadata={"user_id": "u-7"}
        )
        with sdk.messages.stream(model=CLAUDE, max_tokens=40, messages=ask) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
    assert message.content[0].type == "text" and message.content[0].text == "echo: same dialect"
    assert text == "echo: same dialect" and final.usage.output_tokens == 3
    sent = mock.requests[0].json
    assert (
        sent["metadata"] == {"user_id": "u-7"} and sent["anthropic_version"] == "vertex-2023-10-16"
    )
    assert "model" not in sent and mock.requests[1].json["stream"] is True


def test_anthropic_count_tokens_is_vertex_claudes_own_count(
    gateway: GatewayProcess, mock: MockVertex
) -> None:
    ask: Any = [{"role": "user", "content": "one two three four five"}]
    with _anthropic(gateway) as sdk:
        counted = sdk.messages.count_tokens(model=CLAUDE, messages=ask, system="be brief")
    assert counted.input_tokens == 7  # the mock counts words; the local estimate says 14
    assert "estimated" not in (counted.model_extra or {})
    [sent] = mock.requests
    assert sent.path == (
        f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/anthropic/models/"
        "count-tokens:rawPredict"
    )
    assert sent.json == {
        "model": "claude-mock-4",
        "messages": ask,
        "system": "be brief",
        "anthropic_version": "vertex-2023-10-16",
    }


def test_genai_client_to_vertex_gemini(gateway: GatewayProcess, mock: MockVertex) -> None:
    with _genai(gateway) as sdk:
        answer = sdk.models.generate_content(model=GEMINI, contents="genai here")
        pieces = [
            c.text or ""
            for c in sdk.models.generate_content_stream(model=GEMINI, contents="and streamed")
        ]
        counted = sdk.models.count_tokens(model=GEMINI, contents="one two three four five")
    assert answer.text == "echo: genai here"
    assert "".join(pieces) == "echo: and streamed"
    assert counted.total_tokens == 5  # Vertex's own count (the mock counts words), not an estimate
    assert mock.requests[-1].path.endswith("/publishers/google/models/gemini-2.5-flash:countTokens")


def test_one_token_serves_every_request(
    gateway: GatewayProcess, mock: MockVertex, identity: MockIdentity
) -> None:
    with _openai(gateway) as sdk:
        for _ in range(3):
            sdk.chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
            sdk.chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": "hi"}])
    assert identity.fetches == 1
    assert {r.headers["authorization"] for r in mock.requests} == {f"Bearer {identity.issued[0]}"}


def test_identity_service_down_is_a_502_in_each_dialect(gateway: GatewayProcess) -> None:
    with _openai(gateway) as sdk, pytest.raises(openai.APIStatusError) as openai_error:
        sdk.chat.completions.create(
            model="vertexdown/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
        )
    assert openai_error.value.status_code == 502
    assert "identity service for key 'down-sa'" in openai_error.value.message
    with _anthropic(gateway) as claude, pytest.raises(anthropic.APIStatusError) as claude_error:
        claude.messages.create(
            model="vertexdown/claude-mock-4",
            max_tokens=5,
            messages=[{"role": "user", "content": "x"}],
        )
    assert claude_error.value.status_code == 502 and "unreachable" in claude_error.value.message
    with _genai(gateway) as sdk_g, pytest.raises(genai_errors.ServerError) as genai_error:
        sdk_g.models.generate_content(model="vertexdown/gemini-2.5-flash", contents="hi")
    assert genai_error.value.code == 502 and "down-sa" in str(genai_error.value.message)


def test_a_key_the_identity_service_refuses_is_a_401(gateway: GatewayProcess) -> None:
    with _openai(gateway) as sdk, pytest.raises(openai.AuthenticationError) as caught:
        sdk.chat.completions.create(
            model="vertexbad/gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}]
        )
    assert "key 'bad-sa'" in caught.value.message and "invalid_grant" in caught.value.message
    assert "PRIVATE KEY" not in caught.value.message
