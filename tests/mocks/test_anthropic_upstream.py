"""The Anthropic mock must speak the real wire format: the official SDK is the judge.

Gateway tests trust this mock as "the upstream"; if it drifted from what `anthropic` parses,
they would pass against a fiction. Raw urllib requests cover what the SDK never sends.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import anthropic
import orjson
import pytest

from tests.mocks.anthropic_upstream import (
    Delay,
    Error,
    MockAnthropic,
    RawBody,
    SlowStream,
    Text,
    Thinking,
    ToolCalls,
)

USER: Any = [{"role": "user", "content": "hi there"}]
TOOLS: Any = [
    {"name": n, "input_schema": {"type": "object", "properties": {}}}
    for n in ("get_weather", "get_time")
]
CALLS = [("get_weather", {"city": "Paris", "unit": "celsius"}), ("get_time", {"tz": "CET"})]


@pytest.fixture(scope="module")
def server() -> Iterator[MockAnthropic]:
    with MockAnthropic() as mock:
        yield mock


@pytest.fixture
def mock(server: MockAnthropic) -> MockAnthropic:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockAnthropic) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=mock.base_url, api_key="sk-ant-test", max_retries=0) as c:
        yield c


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(mock: MockAnthropic, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(
        mock.base_url + path, data=orjson.dumps(body), headers=headers, method="POST"
    )
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, orjson.loads(error.read())


HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}


def test_echo_non_stream(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="claude-mock", max_tokens=100, system="Be brief.", messages=USER
    )
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].type == "text" and message.content[0].text == "echo: hi there"
    assert (message.stop_reason, message.stop_sequence, message.role) == (
        "end_turn",
        None,
        "assistant",
    )
    assert (message.usage.input_tokens, message.usage.output_tokens) == (4, 3)
    assert message.usage.cache_read_input_tokens == 0 and message.id.startswith("msg_")
    seen = mock.requests[-1]
    assert (seen.method, seen.path, seen.json["system"]) == ("POST", "/v1/messages", "Be brief.")
    # SDK 2.x sends the key as a Bearer token (not `x-api-key`) and a newer anthropic-version
    assert seen.headers["authorization"] == "Bearer sk-ant-test" and "x-api-key" not in seen.headers
    assert seen.headers["anthropic-version"] >= "2023-06-01"


def test_stream_accumulated_by_the_sdk(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.enqueue(Text("The quick  brown fox.", stop_reason="stop_sequence", stop_sequence="END"))
    with client.messages.stream(model="m", max_tokens=100, messages=USER) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["The", " quick", "  brown", " fox."]
    assert final.content[0].type == "text" and final.content[0].text == "The quick  brown fox."
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "END")
    assert (final.usage.input_tokens, final.usage.output_tokens) == (2, 4)


def test_stream_wire_order(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.enqueue(Text("a b"))
    with client.messages.create(model="m", max_tokens=9, messages=USER, stream=True) as stream:
        kinds = [event.type for event in stream]
    assert kinds == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]  # the SDK drops `ping` itself


@pytest.mark.parametrize("stream", [False, True])
def test_tool_use(mock: MockAnthropic, client: anthropic.Anthropic, stream: bool) -> None:
    mock.enqueue(ToolCalls(CALLS, text="Checking."))
    args: Any = {"model": "m", "max_tokens": 100, "messages": USER, "tools": TOOLS}
    if stream:
        with client.messages.stream(**args) as events:
            json_deltas = [e for e in events if e.type == "input_json"]
            message = events.get_final_message()
        assert len(json_deltas) >= 4  # every call's arguments arrive in two pieces or more
    else:
        message = client.messages.create(**args)
    assert message.stop_reason == "tool_use" and message.content[0].type == "text"
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert calls == CALLS
    ids = [b.id for b in message.content if b.type == "tool_use"]
    assert all(i.startswith("toolu_") for i in ids) and len(set(ids)) == 2
    result = [{"type": "tool_result", "tool_use_id": i, "content": "ok"} for i in ids]
    history: Any = [*USER, {"role": "assistant", "content": message.content}]
    answer: Any = {"role": "user", "content": result}
    follow_up = client.messages.create(
        model="m",
        max_tokens=100,
        tools=TOOLS,
        messages=[*history, answer],
    )
    assert follow_up.content[0].type == "text" and follow_up.content[0].text == "echo: ok ok"


@pytest.mark.parametrize("stream", [False, True])
def test_thinking(mock: MockAnthropic, client: anthropic.Anthropic, stream: bool) -> None:
    mock.enqueue(Thinking("Six times seven.", then=Text("42"), signature="sig-1"))
    mock.enqueue(Thinking("", redacted=True, signature="opaque"))
    args: Any = {"model": "m", "max_tokens": 2048, "messages": USER}
    args["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    for expected in (
        [("thinking", "Six times seven.", "sig-1"), ("text", "42", None)],
        [("redacted_thinking", None, "opaque")],
    ):
        if stream:
            with client.messages.stream(**args) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**args)
        got = [
            (
                b.type,
                getattr(b, "thinking", getattr(b, "text", None)),
                getattr(b, "signature", getattr(b, "data", None)),
            )
            for b in message.content
        ]
        assert got == expected


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (403, anthropic.PermissionDeniedError),
        (404, anthropic.NotFoundError),
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (529, anthropic.OverloadedError),
    ],
)
def test_error_status_to_sdk_exception(
    mock: MockAnthropic,
    client: anthropic.Anthropic,
    status: int,
    exc: type[anthropic.APIStatusError],
) -> None:
    mock.enqueue(Error(status, "boom", headers={"retry-after": "3"}))
    with pytest.raises(exc) as info:
        client.messages.create(model="m", max_tokens=10, messages=USER)
    error = info.value
    assert error.status_code == status and error.response.headers["retry-after"] == "3"
    assert error.api_message == "boom" and error.request_id and error.request_id.startswith("req_")
    assert isinstance(error.body, dict) and error.body["type"] == "error"


def test_in_stream_error_event(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.enqueue(Error(529, "Overloaded", in_stream=True, before="Once upon"))
    pieces: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        client.messages.stream(model="m", max_tokens=10, messages=USER) as stream,
    ):
        pieces.extend(stream.text_stream)
    assert pieces == ["Once", " upon"]
    assert info.value.status_code == 200  # the stream had already started
    assert info.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


def test_count_tokens(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    count = client.messages.count_tokens(model="m", system="You are terse.", messages=USER)
    assert count.input_tokens == 5
    assert mock.requests[-1].path == "/v1/messages/count_tokens"


def test_cache_tokens_are_reported(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.cache_tokens = (3000, 1000)
    for stream in (False, True):
        if stream:
            with client.messages.stream(model="m", max_tokens=10, messages=USER) as events:
                usage = events.get_final_message().usage
        else:
            usage = client.messages.create(model="m", max_tokens=10, messages=USER).usage
        assert (usage.input_tokens, usage.cache_read_input_tokens) == (2, 3000)
        assert (usage.cache_creation_input_tokens, usage.output_tokens) == (1000, 3)


def test_headers_and_body_are_checked(mock: MockAnthropic) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": USER}
    no_key = {k: v for k, v in HEADERS.items() if k != "x-api-key"}
    assert _post(mock, "/v1/messages", body, no_key)[1]["error"]["type"] == "authentication_error"
    no_version = {k: v for k, v in HEADERS.items() if k != "anthropic-version"}
    status, error = _post(mock, "/v1/messages", body, no_version)
    assert (status, error["error"]["message"]) == (400, "anthropic-version: header is required")
    status, error = _post(mock, "/v1/messages", {**body, "max_tokens": None}, HEADERS)
    assert (status, error["error"]["message"]) == (400, "max_tokens: Field required")
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
    unanswered = [*USER, {"role": "assistant", "content": [tool_use]}, *USER]
    status, error = _post(mock, "/v1/messages", {**body, "messages": unanswered}, HEADERS)
    assert status == 400 and "without `tool_result`: toolu_1" in error["error"]["message"]
    system_role = [{"role": "system", "content": "x"}]
    status, error = _post(mock, "/v1/messages", {**body, "messages": system_role}, HEADERS)
    assert status == 400 and error["error"]["type"] == "invalid_request_error"
    thinking = {"type": "enabled", "budget_tokens": 1024}
    status, error = _post(mock, "/v1/messages", {**body, "thinking": thinking}, HEADERS)
    assert status == 400 and "budget_tokens" in error["error"]["message"]
    assert _post(mock, "/v1/nope", body, HEADERS)[0] == 404
    assert mock.pending == 0 and len(mock.requests) == 7


def test_exact_api_key() -> None:
    with MockAnthropic(api_key="sk-right") as mock:
        body = {"model": "m", "max_tokens": 5, "messages": USER}
        assert _post(mock, "/v1/messages", body, {**HEADERS, "x-api-key": "sk-wrong"})[0] == 401
        assert _post(mock, "/v1/messages", body, {**HEADERS, "x-api-key": "sk-right"})[0] == 200


def test_raw_body_reaches_the_client(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.enqueue(RawBody(502, b"<html>bad gateway</html>", "text/html", {"X-Upstream": "lb"}))
    with pytest.raises(anthropic.InternalServerError) as info:
        client.messages.create(model="m", max_tokens=10, messages=USER)
    response = info.value.response
    assert (response.status_code, response.text) == (502, "<html>bad gateway</html>")
    assert response.headers["x-upstream"] == "lb"


def test_client_timeout_cancels_delay(mock: MockAnthropic, client: anthropic.Anthropic) -> None:
    mock.enqueue(Delay(30))
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        client.messages.create(model="m", max_tokens=10, messages=USER, timeout=0.3)
    assert mock.wait_for_disconnect(2) and time.monotonic() - started < 3
    assert client.messages.create(model="m", max_tokens=10, messages=USER).content


def test_closing_a_slow_stream_is_a_disconnect(
    mock: MockAnthropic, client: anthropic.Anthropic
) -> None:
    mock.enqueue(SlowStream(interval=0.05, piece="word "))
    with client.messages.stream(model="m", max_tokens=10, messages=USER) as stream:
        texts = iter(stream.text_stream)
        assert [next(texts) for _ in range(3)] == ["word", " word", " word"]
    assert mock.wait_for_disconnect(2)
