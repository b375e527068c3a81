"""OpenAI SDK → gateway → mock OpenAI upstream: the everyday paths."""

from __future__ import annotations

import urllib.request
from collections import Counter
from typing import Any

import openai
import orjson
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import MockOpenAI, ToolCalls

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello there"}]


def test_non_stream_answer_usage_and_headers(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="openai/gpt-4o-mini", messages=USER, extra_headers={"X-Request-ID": "trace-42"}
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.usage is not None and completion.usage.prompt_tokens == 2
    assert raw.headers["x-request-id"] == "trace-42"
    assert int(raw.headers["x-llm-proxy-remote-duration-ms"]) >= 0
    seen = upstream.last_request
    assert seen.path == "/v1/chat/completions"
    assert seen.json["model"] == "gpt-4o-mini"
    assert seen.headers["authorization"] in ("Bearer sk-upstream-a", "Bearer sk-upstream-b")
    assert "sk-client" not in seen.headers["authorization"]


def test_same_model_name_forwards_the_clients_bytes(
    gateway: GatewayProcess, upstream: MockOpenAI
) -> None:
    body = b'{ "model" : "gpt-4o",\n "messages": [{"role":"user","content":"x"}], "temperature": 0.25 }'
    request = urllib.request.Request(
        gateway.base_url + "/v1/chat/completions",
        data=body,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert upstream.last_request.body == body


def test_stream_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks: list[Any] = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: one two three"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4


def test_stream_without_usage_hides_the_usage_the_gateway_asked_for(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    chunks = list(client.chat.completions.create(model="openai/gpt-4o", messages=USER, stream=True))
    assert upstream.last_request.json["stream_options"] == {"include_usage": True}
    assert all(chunk.choices for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_streamed_parallel_tool_calls_reassemble(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    upstream.enqueue(
        ToolCalls([("get_weather", '{"city": "Paris"}'), ("get_time", '{"tz": "Europe/Paris"}')])
    )
    tools: Any = [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
        for n in ("get_weather", "get_time")
    ]
    with client.chat.completions.stream(
        model="openai/gpt-4o",
        messages=USER,
        tools=tools,
    ) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in calls if c.type == "function"] == [
        ("get_weather", '{"city": "Paris"}'),
        ("get_time", '{"tz": "Europe/Paris"}'),
    ]
    assert final.choices[0].finish_reason == "tool_calls"
    assert upstream.last_request.json["tools"] == tools


def test_vision_parts_and_response_format_reach_the_upstream(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    content: Any = [
        {"type": "text", "text": "what is this"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
        },
    ]
    schema = {
        "name": "answer",
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    response_format: Any = {"type": "json_schema", "json_schema": schema}
    completion = client.chat.completions.create(
        model="openai/gpt-4o",
        messages=[{"role": "user", "content": content}],
        response_format=response_format,
    )
    assert completion.choices[0].message.content == "echo: what is this [images: 1]"
    sent = upstream.last_request.json
    assert sent["messages"][0]["content"] == content
    assert sent["response_format"] == {"type": "json_schema", "json_schema": schema}


def test_key_weights_over_many_calls(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    for _ in range(200):
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=USER)
    counts = Counter(r.headers["authorization"] for r in upstream.requests)
    share_a = counts["Bearer sk-upstream-a"] / 200
    assert 0.65 < share_a < 0.85, counts  # weights 3:1


def test_blacklisted_model_uses_the_other_key(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    for _ in range(20):
        client.chat.completions.create(model="openai/forbidden-model", messages=USER)
    assert {r.headers["authorization"] for r in upstream.requests} == {"Bearer sk-upstream-b"}


def test_key_model_allowlist(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    client.chat.completions.create(model="acme/only-this", messages=USER)
    assert upstream.last_request.headers["authorization"] == "Bearer sk-acme"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="acme/something-else", messages=USER)
    assert "may serve model" in caught.value.message
    assert caught.value.code == "model_not_allowed"


def test_alias_maps_to_the_provider_model_id(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    client.chat.completions.create(model="fast", messages=USER)
    assert upstream.last_request.json["model"] == "acme-fast-001"
    assert upstream.last_request.headers["authorization"] == "Bearer sk-acme"


def test_bare_model_name_resolves_through_the_live_list(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert upstream.last_request.json["model"] == "gpt-4o-mini"


def test_unknown_model_and_unconfigured_provider(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat.completions.create(model="no-such-model-anywhere", messages=USER)
    assert "no-such-model-anywhere" in not_found.value.message
    with pytest.raises(openai.BadRequestError) as unconfigured:
        client.chat.completions.create(model="anthropic/claude-sonnet-4", messages=USER)
    assert unconfigured.value.code == "provider_not_configured"


def test_malformed_json_is_a_400_in_openai_shape(gateway: GatewayProcess) -> None:
    request = urllib.request.Request(gateway.base_url + "/v1/chat/completions", data=b'{"model": ')
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    body = orjson.loads(caught.value.read())
    assert body["error"]["code"] == "invalid_json" and body["status_code"] == 400
    assert caught.value.headers["x-request-id"]


def test_models_list(client: openai.OpenAI) -> None:
    ids = {model.id for model in client.models.list()}
    assert {"openai/gpt-4o-mini", "openai/gpt-4o", "acme/only-this", "fast"} <= ids


def test_health(gateway: GatewayProcess) -> None:
    with urllib.request.urlopen(gateway.base_url + "/health", timeout=5) as response:
        body = orjson.loads(response.read())
    assert body["status"] == "ok" and body["version"] and body["timestamp"].endswith("Z")
    assert isinstance(body["components"], dict)


def test_bifrost_openai_prefix_serves_the_same_handler(
    gateway: GatewayProcess, upstream: MockOpenAI
) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/openai/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(model="openai/gpt-4o", messages=USER)
        assert answer.choices[0].message.content == "echo: hello there"
        assert "openai/gpt-4o" in {m.id for m in sdk.models.list()}
