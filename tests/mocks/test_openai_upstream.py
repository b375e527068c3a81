"""The OpenAI mock must speak the real wire format: the official SDK is the judge.

Gateway tests trust this mock as "the upstream"; if it drifted from what ``openai`` parses,
those tests would pass against a fiction. Raw socket/urllib tests cover what the SDK hides.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import orjson
import pytest

from tests.mocks.openai_upstream import (
    Delay,
    Error,
    MockOpenAI,
    RawBody,
    SlowStream,
    Text,
    ToolCalls,
)
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

CALLS = [("get_weather", '{"city": "Paris", "unit": "celsius"}'), ("get_time", '{"tz":"CET"}')]
TOOLS: Any = [
    {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
    for n in ("get_weather", "get_time")
]
USER: Any = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockOpenAI]:
    with MockOpenAI() as mock:
        yield mock


@pytest.fixture
def mock(server: MockOpenAI) -> MockOpenAI:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=mock.base_url + "/v1", api_key="sk-test", max_retries=0) as c:
        yield c


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http(url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Raw request without the SDK; returns (status, lower-cased headers, body)."""
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with _OPENER.open(req, timeout=5) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_non_stream_echo_with_usage(mock: MockOpenAI, client: openai.OpenAI) -> None:
    messages: Any = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hello there, world"},
    ]
    resp = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert resp.id.startswith("chatcmpl-") and resp.object == "chat.completion"
    assert resp.model == "gpt-4o-mini" and resp.system_fingerprint == "fp_mock"
    choice = resp.choices[0]
    assert choice.message.content == "echo: Hello there, world"
    assert choice.message.role == "assistant" and choice.message.refusal is None
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (6, 4)
    assert resp.usage.total_tokens == 10
    assert resp.usage.completion_tokens_details is not None
    assert resp.usage.completion_tokens_details.reasoning_tokens == 0
    req = mock.last_request
    assert (req.method, req.path) == ("POST", "/v1/chat/completions")
    assert req.headers["authorization"] == "Bearer sk-test"
    assert req.json["messages"] == messages and orjson.loads(req.body) == req.json


def test_scripted_text_is_fifo_then_echo(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(Text("first reply"), Text("cut", finish_reason="length"))
    assert mock.pending == 2
    contents = []
    for _ in range(3):
        resp = client.chat.completions.create(model="m", messages=USER)
        contents.append((resp.choices[0].message.content, resp.choices[0].finish_reason))
    assert contents == [("first reply", "stop"), ("cut", "length"), ("echo: hi", "stop")]
    assert mock.pending == 0 and len(mock.requests) == 3


def test_stream_with_include_usage(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(Text("The quick  brown fox."))
    stream = client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    with stream:
        chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert content[1:5] == ["The", " quick", "  brown", " fox."]
    assert "".join(content) == "The quick  brown fox."
    assert [c.choices[0].finish_reason for c in chunks[:-1]][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (
        1,
        4,
        5,
    )
    assert len({c.id for c in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"


def test_stream_without_usage_on_the_wire(mock: MockOpenAI) -> None:
    body = orjson.dumps({"model": "gpt-4o", "messages": USER, "stream": True})
    status, headers, raw = _http(mock.base_url + "/v1/chat/completions", body)
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert raw.endswith(b"\n\ndata: [DONE]\n\n") and b"usage" not in raw
    events = raw.split(b"\n\n")[:-1]
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    payloads = [orjson.loads(e[6:]) for e in events[:-1]]
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert payloads[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert "".join(p["choices"][0]["delta"].get("content", "") for p in payloads) == "echo: hi"


def test_tool_calls_non_stream(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(ToolCalls(CALLS))
    resp = client.chat.completions.create(model="gpt-4o", messages=USER, tools=TOOLS)
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    got = [(c.function.name, c.function.arguments) for c in calls if c.type == "function"]
    assert got == CALLS
    assert all(c.id.startswith("call_") for c in calls) and calls[0].id != calls[1].id
    assert resp.usage is not None and resp.usage.completion_tokens == 7


def test_tool_calls_streamed_reassembled_by_sdk(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(ToolCalls(CALLS))
    with client.chat.completions.stream(model="gpt-4o", messages=USER, tools=TOOLS) as stream:
        deltas = [e for e in stream if e.type == "tool_calls.function.arguments.delta"]
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in calls] == CALLS
    assert final.choices[0].finish_reason == "tool_calls"
    per_call = [sum(1 for d in deltas if d.index == i) for i in range(2)]
    assert all(n >= 2 for n in per_call), per_call


def test_tool_call_fragments_on_the_wire(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(ToolCalls(CALLS))
    stream = client.chat.completions.create(model="m", messages=USER, tools=TOOLS, stream=True)
    with stream:
        frags = [tc for c in stream for tc in (c.choices[0].delta.tool_calls or [])]
    firsts = [f for f in frags if f.id is not None]
    assert [(f.index, f.type) for f in firsts] == [(0, "function"), (1, "function")]
    assert all(f.function is not None and f.function.arguments == "" for f in firsts)
    rest = [f for f in frags if f.id is None]
    assert all(f.type is None and f.function and f.function.name is None for f in rest)
    for index, (_, arguments) in enumerate(CALLS):
        pieces = [f.function.arguments for f in rest if f.index == index and f.function]
        assert len(pieces) >= 2 and "".join(p or "" for p in pieces) == arguments


def test_rate_limit_error_with_retry_after(mock: MockOpenAI, client: openai.OpenAI) -> None:
    limited = Error(
        429, "Rate limit reached", code="rate_limit_exceeded", headers={"Retry-After": "7"}
    )
    mock.enqueue(limited)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    err = info.value
    assert err.status_code == 429 and err.response.headers["retry-after"] == "7"
    assert (err.code, err.type, err.param) == ("rate_limit_exceeded", "requests", None)
    assert err.body == {
        "message": "Rate limit reached",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert client.chat.completions.create(model="m", messages=USER).choices[0].message.content


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (503, openai.InternalServerError),
    ],
)
def test_error_status_mapping(
    mock: MockOpenAI, client: openai.OpenAI, status: int, exc: type[openai.APIStatusError]
) -> None:
    mock.enqueue(Error(status, "boom"))
    with pytest.raises(exc) as info:
        client.chat.completions.create(model="m", messages=USER, stream=True)
    assert info.value.status_code == status and info.value.message.endswith("boom")


def test_models_list(mock: MockOpenAI, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini", "gpt-4o"]
    mock.set_models(["alpha", "beta"])
    page = client.models.list(extra_query={"x": "1"})
    assert [(m.id, m.object, m.owned_by) for m in page] == [
        ("alpha", "model", "system"),
        ("beta", "model", "system"),
    ]
    assert mock.last_request.query == "x=1" and mock.last_request.json is None
    assert (mock.last_request.method, mock.last_request.path) == ("GET", "/v1/models")


def test_image_part_is_accepted(mock: MockOpenAI, client: openai.OpenAI) -> None:
    content: Any = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR", "detail": "low"}},
    ]
    resp = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": content}]
    )
    assert resp.choices[0].message.content == "echo: What is this? [images: 1]"
    assert resp.usage is not None and resp.usage.prompt_tokens == 3


def test_malformed_json_is_400_and_keeps_queue(mock: MockOpenAI) -> None:
    mock.enqueue(Text("kept"))
    status, headers, raw = _http(mock.base_url + "/v1/chat/completions", b'{"model": ')
    assert status == 400 and headers["content-type"] == "application/json"
    error = orjson.loads(raw)["error"]
    assert error["type"] == "invalid_request_error" and error["message"].startswith("We could")
    assert (error["param"], error["code"]) == (None, None)
    assert mock.last_request.body == b'{"model": ' and mock.last_request.json is None
    assert mock.pending == 1


def test_invalid_requests_are_400(mock: MockOpenAI) -> None:
    url = mock.base_url + "/v1/chat/completions"
    status, _, raw = _http(url, orjson.dumps({"model": "gpt-4o"}))
    assert status == 400 and orjson.loads(raw)["error"]["param"] == "messages"
    bad_part = [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]
    status, _, raw = _http(url, orjson.dumps({"model": "gpt-4o", "messages": bad_part}))
    assert status == 400 and "image_url.url" in orjson.loads(raw)["error"]["message"]
    status, _, raw = _http(mock.base_url + "/v1/nope", b"{}")
    assert status == 404 and orjson.loads(raw)["error"]["message"] == "Invalid URL (POST /v1/nope)"


def test_raw_body_reaches_the_client(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(RawBody(502, b"<html>bad gateway</html>", "text/html", {"X-Upstream": "lb"}))
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=USER)
    response = info.value.response
    assert response.status_code == 502 and response.text == "<html>bad gateway</html>"
    assert response.headers["content-type"] == "text/html"
    assert response.headers["x-upstream"] == "lb"


def test_delay_then_reply(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(Delay(0.05, then=Text("late")))
    started = time.monotonic()
    resp = client.chat.completions.create(model="m", messages=USER)
    assert resp.choices[0].message.content == "late" and time.monotonic() - started >= 0.05


def test_client_timeout_cancels_delay(mock: MockOpenAI, client: openai.OpenAI) -> None:
    mock.enqueue(Delay(30))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=USER, timeout=0.3)
    assert mock.wait_for_disconnect(2) and mock.disconnects == 1
    assert mock.wait_idle(2) and time.monotonic() - started < 3
    assert client.chat.completions.create(model="m", messages=USER).choices[0].message.content


def _post_raw_socket(port: int, payload: Any) -> socket.socket:
    body = orjson.dumps(payload)
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer sk-test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed early: {data!r}"
        data += chunk
    return data


def test_disconnect_during_slow_stream(mock: MockOpenAI) -> None:
    mock.enqueue(SlowStream(interval=0.05))
    with _post_raw_socket(mock.port, {"model": "m", "messages": USER}) as sock:
        data = _read_until(sock, b'"content":"tick "')
        assert mock.active_requests == 1 and not mock.disconnected.is_set()
    assert data.startswith(b"HTTP/1.1 200 ") and b"text/event-stream" in data
    assert mock.wait_for_disconnect(2) and mock.disconnects == 1
    assert mock.wait_idle(2) and mock.active_requests == 0


def test_stop_does_not_hang_on_an_open_stream() -> None:
    mock = MockOpenAI(models=["only"]).start()
    try:
        mock.enqueue(SlowStream(interval=0.05))
        with _post_raw_socket(mock.port, {"model": "m", "messages": USER}) as sock:
            _read_until(sock, b'"content":"tick "')
            assert mock.active_requests == 1
            started = time.monotonic()
            mock.stop()  # the stream never ends by itself: stop() must force it
            assert time.monotonic() - started < 3 and not mock.server.running
        assert mock.disconnects == 1  # the cut connection ended the stream cleanly
        mock.set_models(["x"])
        mock.enqueue(Text("dropped"))
        mock.reset()
        assert mock.pending == 0 and mock.requests == []
        mock.start()  # restartable, on a fresh port
        status, _, raw = _http(mock.base_url + "/v1/models")
        assert status == 200 and [m["id"] for m in orjson.loads(raw)["data"]] == ["only"]
    finally:
        mock.stop()


class _Hello:
    """Smallest ASGI app: proves ThreadedServer is provider-agnostic."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b"hello " + scope["path"].encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def test_threaded_server_lifecycle() -> None:
    with ThreadedServer(_Hello()) as server:
        assert server.running and server.base_url == f"http://127.0.0.1:{server.port}"
        port = server.port
        assert _http(server.base_url + "/x")[::2] == (200, b"hello /x")
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_threaded_server_reports_bind_failure() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        server = ThreadedServer(_Hello(), port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="exited during startup"):
            server.start()
    assert not server.running


def test_sdk_closing_a_stream_is_seen_as_disconnect(
    mock: MockOpenAI, client: openai.OpenAI
) -> None:
    mock.enqueue(SlowStream(interval=0.05, piece="word "))
    stream = client.chat.completions.create(model="m", messages=USER, stream=True)
    with stream:
        pieces = [next(stream).choices[0].delta.content for _ in range(3)]
    assert pieces == ["", "word ", "word "]
    assert mock.wait_for_disconnect(2) and mock.wait_idle(2)
