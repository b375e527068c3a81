"""`send_back_raw_request` / `send_back_raw_response`: switched through the management API on a
running gateway, echoed in `extra_fields` of OpenAI-dialect answers, absent when off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.gateway_process import GatewayProcess
from tests.management.client import ManagementClient
from tests.mocks import anthropic_upstream, openai_upstream
from tests.mocks.anthropic_upstream import MockAnthropic
from tests.mocks.ollama_upstream import MockOllama
from tests.mocks.openai_upstream import MockOpenAI

ADMIN_KEY = "admin-key-for-raw-echo-tests"
OPENAI_SECRET = "sk-openai-upstream-secret-000000"
ANTHROPIC_SECRET = "sk-ant-upstream-secret-111111111"
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi there"}]

OPENAI_BODY = (
    b'{"id":"chatcmpl-raw1","object":"chat.completion","created":1700000000,'
    b'"model":"gpt-4o-mini","system_fingerprint":"fp_raw",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"exact words"},'
    b'"logprobs":null,"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}'
)
OPENAI_EVENTS: list[dict[str, Any]] = [
    {
        "id": "chatcmpl-s1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}}],
    }
    for piece in ("Hel", "lo")
] + [
    {
        "id": "chatcmpl-s1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
]
ANTHROPIC_BODY = (
    b'{"id":"msg_raw1","type":"message","role":"assistant","model":"claude-mock",'
    b'"content":[{"type":"text","text":"from claude"}],"stop_reason":"end_turn",'
    b'"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":2}}'
)
ANTHROPIC_EVENTS: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_s1",
            "type": "message",
            "role": "assistant",
            "model": "claude-mock",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 2},
    },
    {"type": "message_stop"},
]


def _sse(events: list[dict[str, Any]], named: bool) -> bytes:
    frames = [
        (b"event: " + e["type"].encode() + b"\n" if named else b"") + b"data: " + orjson.dumps(e)
        for e in events
    ]
    tail = [] if named else [b"data: [DONE]"]
    return b"\n\n".join(frames + tail) + b"\n\n"


@pytest.fixture(scope="module")
def openai_mock() -> Iterator[MockOpenAI]:
    with MockOpenAI() as mock:
        yield mock


@pytest.fixture(scope="module")
def anthropic_mock() -> Iterator[MockAnthropic]:
    with MockAnthropic() as mock:
        yield mock


@pytest.fixture(scope="module")
def ollama_mock() -> Iterator[MockOllama]:
    with MockOllama() as mock:
        yield mock


@pytest.fixture(scope="module")
def gateway(
    openai_mock: MockOpenAI,
    anthropic_mock: MockAnthropic,
    ollama_mock: MockOllama,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    config = {
        "providers": {
            "openai": {
                "keys": [{"value": OPENAI_SECRET}],
                "network_config": {"base_url": openai_mock.base_url},
            },
            "anthropic": {
                "keys": [{"value": ANTHROPIC_SECRET}],
                "network_config": {"base_url": anthropic_mock.base_url},
            },
            "ollama": {  # switched on in the file, never through the API
                "network_config": {"base_url": ollama_mock.base_url},
                "send_back_raw_request": True,
                "send_back_raw_response": True,
            },
        }
    }
    workdir: Path = tmp_path_factory.mktemp("raw-echo")
    with GatewayProcess(workdir, config, env={"CLOVERLEAF_ADMIN_KEY": ADMIN_KEY}) as process:
        yield process


@pytest.fixture
def api(
    gateway: GatewayProcess, openai_mock: MockOpenAI, anthropic_mock: MockAnthropic
) -> Iterator[ManagementClient]:
    """Each test starts and ends with both switches off on both providers."""
    client = ManagementClient(gateway.base_url, ADMIN_KEY)
    openai_mock.reset()
    anthropic_mock.reset()
    yield client
    for name in ("openai", "anthropic"):
        switch(client, name, request=False, response=False)


@pytest.fixture
def sdk(gateway: GatewayProcess) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=gateway.base_url + "/v1", api_key="client", max_retries=0, timeout=10
    ) as client:
        yield client


def switch(api: ManagementClient, provider: str, *, request: bool, response: bool) -> None:
    """PUT replaces the whole config: send back what GET showed, with the two switches set."""
    shown = api.ok("GET", f"/api/providers/{provider}")
    body = {k: shown[k] for k in ("network_config", "concurrency_and_buffer_size")}
    body |= {"send_back_raw_request": request, "send_back_raw_response": response}
    updated = api.ok("PUT", f"/api/providers/{provider}", body)
    assert (updated["send_back_raw_request"], updated["send_back_raw_response"]) == (
        request,
        response,
    )


def _extra(model: Any) -> dict[str, Any]:
    extra = (model.model_extra or {}).get("extra_fields")
    assert isinstance(extra, dict), "no extra_fields in the answer"
    return extra


def test_off_by_default_the_answer_is_the_upstream_bytes(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    openai_mock.enqueue(openai_upstream.RawBody(body=OPENAI_BODY))
    raw = sdk.chat.completions.with_raw_response.create(model="openai/gpt-4o-mini", messages=HI)
    assert raw.http_response.content == OPENAI_BODY
    completion = raw.parse()
    assert "extra_fields" not in (completion.model_extra or {})


def test_openai_answer_echoes_what_the_provider_got_and_sent(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    switch(api, "openai", request=True, response=True)
    openai_mock.enqueue(openai_upstream.RawBody(body=OPENAI_BODY))
    completion = sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI)
    extra = _extra(completion)
    assert extra["raw_response"] == orjson.loads(OPENAI_BODY)
    assert extra["raw_request"] == orjson.loads(openai_mock.last_request.body)
    assert extra["raw_request"]["messages"] == HI
    assert extra["provider"] == "openai"
    assert extra["model_requested"] == "gpt-4o-mini"
    assert completion.choices[0].message.content == "exact words"
    assert OPENAI_SECRET not in orjson.dumps(extra).decode()

    switch(api, "openai", request=False, response=False)  # applied live, both ways
    openai_mock.enqueue(openai_upstream.RawBody(body=OPENAI_BODY))
    raw = sdk.chat.completions.with_raw_response.create(model="openai/gpt-4o-mini", messages=HI)
    assert raw.http_response.content == OPENAI_BODY


def test_each_switch_alone(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    switch(api, "openai", request=True, response=False)
    extra = _extra(sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI))
    assert extra["raw_request"]["model"] == "gpt-4o-mini"
    assert "raw_response" not in extra

    switch(api, "openai", request=False, response=True)
    openai_mock.enqueue(openai_upstream.RawBody(body=OPENAI_BODY))
    extra = _extra(sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI))
    assert extra["raw_response"]["id"] == "chatcmpl-raw1"
    assert "raw_request" not in extra


def test_openai_stream_echoes_each_upstream_event(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    switch(api, "openai", request=True, response=True)
    body = _sse(OPENAI_EVENTS, named=False)
    openai_mock.enqueue(openai_upstream.RawBody(body=body, content_type="text/event-stream"))
    chunks = list(sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI, stream=True))
    extras = [_extra(chunk) for chunk in chunks]
    assert [e["raw_response"] for e in extras] == OPENAI_EVENTS
    assert [e["chunk_index"] for e in extras] == [0, 1, 2]
    assert extras[0]["raw_request"] == orjson.loads(openai_mock.last_request.body)
    assert extras[0]["raw_request"]["stream"] is True
    assert all("raw_request" not in e for e in extras[1:])
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"


def test_openai_stream_off_has_no_extra_fields(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    stream = sdk.chat.completions.create(model="openai/gpt-4o-mini", messages=HI, stream=True)
    chunks = list(stream)
    assert chunks
    assert all("extra_fields" not in (c.model_extra or {}) for c in chunks)


def test_translated_answer_echoes_the_anthropic_bodies(
    api: ManagementClient, sdk: openai.OpenAI, anthropic_mock: MockAnthropic
) -> None:
    anthropic_mock.enqueue(anthropic_upstream.RawBody(body=ANTHROPIC_BODY))
    plain = sdk.chat.completions.create(model="anthropic/claude-mock", messages=HI)
    assert "extra_fields" not in (plain.model_extra or {})

    switch(api, "anthropic", request=True, response=True)
    anthropic_mock.enqueue(anthropic_upstream.RawBody(body=ANTHROPIC_BODY))
    completion = sdk.chat.completions.create(model="anthropic/claude-mock", messages=HI)
    extra = _extra(completion)
    assert completion.choices[0].message.content == "from claude"
    assert extra["raw_response"] == orjson.loads(ANTHROPIC_BODY)
    sent = anthropic_mock.requests[-1]
    assert extra["raw_request"] == orjson.loads(sent.body)
    assert "max_tokens" in extra["raw_request"]  # the Anthropic body, not the client's
    assert ANTHROPIC_SECRET not in orjson.dumps(extra).decode()


def test_translated_stream_chunks_carry_the_event_they_came_from(
    api: ManagementClient, sdk: openai.OpenAI, anthropic_mock: MockAnthropic
) -> None:
    switch(api, "anthropic", request=True, response=True)
    body = _sse(ANTHROPIC_EVENTS, named=True)
    anthropic_mock.enqueue(anthropic_upstream.RawBody(body=body, content_type="text/event-stream"))
    stream = sdk.chat.completions.create(model="anthropic/claude-mock", messages=HI, stream=True)
    chunks = list(stream)
    extras = [_extra(chunk) for chunk in chunks]
    assert extras[0]["raw_request"] == orjson.loads(anthropic_mock.requests[-1].body)
    for chunk, extra in zip(chunks, extras, strict=True):
        text = chunk.choices[0].delta.content if chunk.choices else None
        if text:  # a text chunk came from the delta event holding that text
            assert extra["raw_response"]["delta"]["text"] == text
    echoed = [e["raw_response"] for e in extras if "raw_response" in e]
    assert all(event in ANTHROPIC_EVENTS for event in echoed)
    assert {"type": "ping"} not in echoed  # it produced no chunk
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"


def test_anthropic_clients_get_their_usual_answer(
    api: ManagementClient, gateway: GatewayProcess, anthropic_mock: MockAnthropic
) -> None:
    """Only the OpenAI dialect has `extra_fields`: other clients' answers stay as they were."""
    switch(api, "anthropic", request=True, response=True)
    anthropic_mock.enqueue(anthropic_upstream.RawBody(body=ANTHROPIC_BODY))
    with anthropic.Anthropic(
        base_url=gateway.base_url, api_key="client", max_retries=0, timeout=10
    ) as client:
        raw = client.messages.with_raw_response.create(
            model="anthropic/claude-mock",
            max_tokens=50,
            messages=[{"role": "user", "content": "hi there"}],
        )
    assert b"extra_fields" not in raw.http_response.content
    assert raw.parse().content[0].type == "text"


def test_stream_split_over_many_reads_echoes_each_chunk_once(
    api: ManagementClient, sdk: openai.OpenAI, openai_mock: MockOpenAI
) -> None:
    """The mock writes one event per body message: the echo follows the events, not the reads."""
    switch(api, "openai", request=False, response=True)
    openai_mock.enqueue(openai_upstream.Text("one two three four"))
    stream = sdk.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=HI,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].usage is not None
    for chunk in chunks:
        raw = _extra(chunk)["raw_response"]
        assert raw["id"] == chunk.id
        assert raw["choices"] == [c.model_dump(exclude_unset=True) for c in chunk.choices]
        assert "raw_request" not in _extra(chunk)


def test_switches_from_the_config_file_and_ndjson_streams(
    api: ManagementClient, sdk: openai.OpenAI, ollama_mock: MockOllama
) -> None:
    """Ollama streams NDJSON: each chunk echoes the line it came from."""
    stream = sdk.chat.completions.create(model="ollama/llama3.2:latest", messages=HI, stream=True)
    chunks = list(stream)
    extras = [_extra(chunk) for chunk in chunks]
    assert extras[0]["raw_request"] == orjson.loads(ollama_mock.last_request.body)
    assert extras[0]["provider"] == "ollama"
    texts = [
        (c.choices[0].delta.content, e) for c, e in zip(chunks, extras, strict=True) if c.choices
    ]
    assert "".join(text or "" for text, _ in texts).strip()
    for text, extra in texts:
        if text:
            assert extra["raw_response"]["message"]["content"] == text
