"""`POST /v1/completions` through a real gateway with the official `openai` SDK: the client's
bytes to OpenAI's own completions endpoint, a one-turn chat (translated) to Anthropic."""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest

from tests.e2e.extra_ops.conftest import Mocks, post
from tests.gateway_process import GatewayProcess


def test_same_dialect_forwards_the_clients_bytes(gateway: GatewayProcess, upstreams: Mocks) -> None:
    raw = b'{"model":"gpt-4o-mini",  "prompt":"hello there","max_tokens":7,"logprobs":2}'
    status, answer = post(gateway, "/v1/completions", raw)
    assert status == 200, answer
    assert answer["object"] == "text_completion"
    assert answer["choices"][0]["text"] == "echo: hello there"
    sent = upstreams.openai.last_request
    assert (sent.path, sent.body) == ("/v1/completions", raw)
    assert sent.headers["authorization"] == "Bearer sk-oai"


def test_sdk_same_dialect_with_provider_prefix(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.completions.create(
        model="openai/gpt-4o-mini", prompt=["one", "two"], n=1, echo=False
    )
    assert [c.text for c in answer.choices] == ["echo: one", "echo: two"]
    assert answer.usage is not None and answer.usage.prompt_tokens == 2
    sent = upstreams.openai.last_request.json
    assert sent == {"model": "gpt-4o-mini", "prompt": ["one", "two"], "n": 1, "echo": False}


def test_sdk_same_dialect_stream_hides_the_usage_it_asked_for(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    chunks = list(client.completions.create(model="openai/gpt-4o-mini", prompt="a b", stream=True))
    assert "".join(c.choices[0].text for c in chunks) == "echo: a b"
    assert all(c.usage is None and c.object == "text_completion" for c in chunks)
    assert upstreams.openai.last_request.json["stream_options"] == {"include_usage": True}


def test_translated_to_anthropic(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.completions.create(
        model="anthropic/claude-sonnet-4-5", prompt="hi you", max_tokens=9, stop=["\n"]
    )
    choice = answer.choices[0]
    assert (choice.text, choice.finish_reason, answer.object) == (
        "echo: hi you",
        "stop",
        "text_completion",
    )
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    sent = upstreams.anthropic.requests[-1]
    assert sent.path == "/v1/messages"
    turn = {"role": "user", "content": [{"type": "text", "text": "hi you"}]}
    assert sent.json["messages"] == [turn]
    assert (sent.json["max_tokens"], sent.json["stop_sequences"]) == (9, ["\n"])


def test_translated_stream_from_anthropic(client: openai.OpenAI, upstreams: Mocks) -> None:
    stream = client.completions.create(
        model="anthropic/claude-sonnet-4-5",
        prompt="stream me",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    texts = [c.choices[0].text for c in chunks if c.choices]
    assert "".join(texts) == "echo: stream me"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens > 0
    assert {c.object for c in chunks} == {"text_completion"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("echo", True), ("suffix", "end"), ("logprobs", 1), ("best_of", 2), ("n", 2)],
)
def test_translation_refuses_what_a_chat_cannot_do(
    gateway: GatewayProcess, upstreams: Mocks, field: str, value: Any
) -> None:
    body = {"model": "anthropic/claude-sonnet-4-5", "prompt": "x", field: value}
    status, answer = post(gateway, "/v1/completions", orjson.dumps(body))
    assert status == 400
    assert answer["error"]["param"] == field
    assert field in answer["error"]["message"]
    assert upstreams.anthropic.requests == []


def test_token_prompts_only_go_to_the_openai_family(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    body = {"model": "anthropic/claude-sonnet-4-5", "prompt": [1, 2, 3]}
    status, answer = post(gateway, "/v1/completions", orjson.dumps(body))
    assert (status, answer["error"]["code"]) == (400, "tokens_not_supported")
    status, answer = post(gateway, "/v1/completions", b'{"model":"anthropic/claude-sonnet-4-5"}')
    assert (status, answer["error"]["param"]) == (400, "prompt")
    assert upstreams.anthropic.requests == []


def test_bifrost_openai_prefix(gateway: GatewayProcess, upstreams: Mocks) -> None:
    base_url = gateway.base_url + "/openai/v1"
    with openai.OpenAI(base_url=base_url, api_key="x", max_retries=0, timeout=20) as sdk:
        answer = sdk.completions.create(model="openai/gpt-4o-mini", prompt="p")
    assert answer.choices[0].text == "echo: p"
