"""The Cohere mock must speak the real wire format: the official `cohere` SDK is the judge.

Gateway tests trust this mock as "the upstream"; if it drifted from what `cohere.ClientV2`
parses, they would pass against a fiction. The SDK posts to `/v2/chat` with a Bearer key and
its `X-Fern-*` headers; each test checks what the mock recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cohere
import httpx
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.cohere.dialect import CohereDialect
from tests.mocks.cohere_upstream import Error, MockCohere, Text, ToolCalls

USER: Any = [{"role": "user", "content": "hi there"}]
TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockCohere]:
    with MockCohere(api_key="co-test") as mock:
        yield mock


@pytest.fixture
def mock(server: MockCohere) -> MockCohere:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockCohere) -> Iterator[cohere.ClientV2]:
    # our own httpx client: no proxy from the environment, and closed when the test ends
    with httpx.Client(trust_env=False, timeout=5) as http:
        yield cohere.ClientV2(api_key="co-test", base_url=mock.base_url, httpx_client=http)


def test_chat_echoes_with_word_count_usage(mock: MockCohere, client: cohere.ClientV2) -> None:
    response = client.chat(model="command-a-03-2025", messages=USER)
    assert response.finish_reason == "COMPLETE"
    assert response.message.content is not None
    assert response.message.content[0].text == "echo: hi there"  # type: ignore[union-attr]
    assert response.usage is not None and response.usage.tokens is not None
    assert (response.usage.tokens.input_tokens, response.usage.tokens.output_tokens) == (2, 3)
    (request,) = mock.requests
    assert (request.method, request.path) == ("POST", "/v2/chat")
    assert request.headers["authorization"] == "Bearer co-test"
    assert request.headers["x-fern-sdk-name"] == "cohere"
    assert request.json == {"model": "command-a-03-2025", "messages": USER, "stream": False}


def test_chat_stream_yields_typed_events(mock: MockCohere, client: cohere.ClientV2) -> None:
    mock.enqueue(Text("Hello there friend", thinking="greet them"))
    events = list(client.chat_stream(model="m", messages=USER))
    kinds = [e.type for e in events]
    assert kinds[0] == "message-start" and kinds[-1] == "message-end"
    texts = [e.delta.message.content.text for e in events if e.type == "content-delta"]  # type: ignore[union-attr]
    assert "".join(t for t in texts if t) == "Hello there friend"
    end = events[-1]
    assert end.type == "message-end" and end.delta is not None
    assert end.delta.finish_reason == "COMPLETE"
    assert mock.requests[0].json["stream"] is True


def test_tool_call(mock: MockCohere, client: cohere.ClientV2) -> None:
    mock.enqueue(ToolCalls([("get_weather", {"city": "Paris"})], plan="Checking."))
    response = client.chat(model="m", messages=USER, tools=[TOOL], tool_choice="REQUIRED")
    assert response.finish_reason == "TOOL_CALL"
    assert response.message.tool_plan == "Checking."
    (call,) = response.message.tool_calls or []
    assert call.function is not None
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city":"Paris"}')
    assert mock.requests[0].json["tool_choice"] == "REQUIRED"


def test_streamed_tool_call_decodes_through_the_dialect(mock: MockCohere) -> None:
    """The gateway's own decoder reads the mock's stream: arguments arrive in pieces."""
    mock.enqueue(ToolCalls([("get_weather", {"city": "Paris"})]))
    body = {"model": "m", "messages": USER, "stream": True}
    headers = {"authorization": "Bearer co-test"}
    with httpx.Client(trust_env=False, timeout=5) as http:
        raw = http.post(mock.base_url + "/v2/chat", json=body, headers=headers).content
    decoder = CohereDialect().stream_decoder()
    events = [e for i in range(len(raw)) for e in decoder.feed(raw[i : i + 1])] + decoder.close()
    args = "".join(getattr(e, "arguments", "") for e in events)
    assert args == '{"city":"Paris"}'


@pytest.mark.parametrize(
    ("reply", "exception"),
    [
        (Error(429, "You are using a Trial key"), cohere.TooManyRequestsError),
        (Error(400, "invalid request: bad"), cohere.BadRequestError),
        (Error(498, "invalid token"), cohere.InvalidTokenError),
    ],
)
def test_errors_raise_the_sdk_exception(
    mock: MockCohere, client: cohere.ClientV2, reply: Error, exception: type[Exception]
) -> None:
    mock.enqueue(reply)
    with pytest.raises(exception) as info:
        # the SDK retries 429/5xx itself (twice, with backoff) unless told not to
        client.chat(model="m", messages=USER, request_options={"max_retries": 0})
    assert len(mock.requests) == 1
    assert reply.message in str(info.value)


def test_wrong_key_is_unauthorized(mock: MockCohere) -> None:
    with httpx.Client(trust_env=False, timeout=5) as http:
        bad = cohere.ClientV2(api_key="nope", base_url=mock.base_url, httpx_client=http)
        with pytest.raises(cohere.UnauthorizedError):
            bad.chat(model="m", messages=USER)


def test_in_stream_error_ends_with_message_end_error(mock: MockCohere) -> None:
    mock.enqueue(Error(500, "generation failed", in_stream=True))
    body = {"model": "m", "messages": USER, "stream": True}
    with httpx.Client(trust_env=False, timeout=5) as http:
        raw = http.post(
            mock.base_url + "/v2/chat", json=body, headers={"authorization": "Bearer co-test"}
        ).content
    decoder = CohereDialect().stream_decoder()
    with pytest.raises(GatewayError, match="generation failed"):
        decoder.feed(raw)
        decoder.close()
