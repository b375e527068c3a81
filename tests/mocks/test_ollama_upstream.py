"""The Ollama mock must speak the real wire format: the official `ollama` SDK is the judge.

Gateway tests trust this mock as "the upstream"; if it drifted from what the SDK parses, they
would pass against a fiction. Raw urllib tests cover what the SDK hides (NDJSON framing, the
stream-by-default rule, exact error bodies).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import ollama
import orjson
import pytest

from tests.mocks.ollama_upstream import (
    Delay,
    Error,
    MockOllama,
    RawBody,
    SlowStream,
    StreamError,
    Text,
    Thinking,
    ToolCalls,
)

USER: Any = [{"role": "user", "content": "hi"}]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather in a given city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockOllama]:
    with MockOllama() as mock:
        yield mock


@pytest.fixture
def mock(server: MockOllama) -> MockOllama:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockOllama) -> Iterator[ollama.Client]:
    with ollama.Client(host=mock.base_url, trust_env=False, timeout=5) as c:
        yield c


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http(url: str, body: Any = None, method: str | None = None) -> tuple[int, str, bytes]:
    """Raw request without the SDK; returns (status, content type, body)."""
    data = orjson.dumps(body) if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(req, timeout=5) as resp:
            return resp.status, resp.headers["content-type"], resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["content-type"], exc.read()


def _lines(raw: bytes) -> list[Any]:
    assert raw.endswith(b"\n")
    return [orjson.loads(line) for line in raw.split(b"\n")[:-1]]


def test_chat_non_stream_echo_with_counts(mock: MockOllama, client: ollama.Client) -> None:
    messages = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "a b c"}]
    resp = client.chat(model="llama3.2", messages=messages)
    assert resp.message.role == "assistant" and resp.message.content == "echo: a b c"
    assert resp.done is True and resp.done_reason == "stop"
    assert (resp.prompt_eval_count, resp.eval_count) == (5, 4)
    assert resp.model == "llama3.2" and resp.created_at and resp.total_duration
    sent = mock.last_request
    assert (sent.method, sent.path) == ("POST", "/api/chat")
    assert sent.json["stream"] is False and sent.json["messages"] == messages
    assert sent.headers["user-agent"].startswith("ollama-python/")


def test_chat_stream_pieces_then_done_line(mock: MockOllama, client: ollama.Client) -> None:
    mock.enqueue(Text("The quick  brown fox.", done_reason="length"))
    parts = list(client.chat(model="llama3.2:latest", messages=USER, stream=True))
    assert [p.message.content for p in parts[:-1]] == ["The", " quick", "  brown", " fox."]
    assert all(p.done is False for p in parts[:-1])
    last = parts[-1]
    assert last.done is True and last.done_reason == "length" and last.message.content == ""
    assert (last.prompt_eval_count, last.eval_count) == (1, 4)


def test_stream_is_the_default_when_absent(mock: MockOllama) -> None:
    body = {"model": "llama3.2", "messages": [{"role": "user", "content": "x y"}]}
    status, content_type, raw = _http(mock.base_url + "/api/chat", body)
    assert status == 200 and content_type == "application/x-ndjson"
    lines = _lines(raw)
    assert "".join(line["message"]["content"] for line in lines) == "echo: x y"
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 3
    assert lines[0]["created_at"].endswith("Z") and len(lines[0]["created_at"]) == 30


def test_tool_call_whole_with_object_arguments(mock: MockOllama, client: ollama.Client) -> None:
    calls = [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Tokyo"})]
    mock.enqueue(ToolCalls(calls), ToolCalls(calls))
    resp = client.chat(model="llama3.2", messages=USER, tools=TOOLS)
    got = [(c.function.name, dict(c.function.arguments)) for c in resp.message.tool_calls or []]
    assert got == calls and resp.done_reason == "stop"
    assert mock.last_request.json["tools"] == TOOLS
    parts = list(client.chat(model="llama3.2", messages=USER, tools=TOOLS, stream=True))
    with_calls = [p for p in parts if p.message.tool_calls]
    assert len(with_calls) == 1 and len(with_calls[0].message.tool_calls or []) == 2
    assert parts[-1].done and parts[-1].done_reason == "stop"


def test_tool_history_needs_object_arguments(mock: MockOllama, client: ollama.Client) -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Toronto"}}}
    history = [
        *USER,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "11 degrees", "tool_name": "get_weather"},
    ]
    resp = client.chat(model="llama3.2", messages=history)
    assert resp.message.content == "echo: hi"
    assert mock.last_request.json["messages"][2]["tool_name"] == "get_weather"
    bad = [*USER, {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}]}]  # fmt: skip
    status, _, raw = _http(mock.base_url + "/api/chat", {"model": "llama3.2", "messages": bad})
    assert status == 400 and "ToolCallFunctionArguments" in orjson.loads(raw)["error"]


def test_thinking_then_text(mock: MockOllama, client: ollama.Client) -> None:
    mock.enqueue(Thinking("let me see", "42"), Thinking("let me see", "42"))
    resp = client.chat(model="qwen3:8b", messages=USER, think=True)
    assert (resp.message.thinking, resp.message.content) == ("let me see", "42")
    assert mock.last_request.json["think"] is True
    parts = list(client.chat(model="qwen3:8b", messages=USER, think="high", stream=True))
    assert "".join(p.message.thinking or "" for p in parts) == "let me see"
    assert "".join(p.message.content or "" for p in parts) == "42"
    assert parts[0].message.thinking and not parts[0].message.content


def test_images_must_be_bare_base64(mock: MockOllama, client: ollama.Client) -> None:
    resp = client.chat(model="llama3.2", messages=[{"role": "user", "content": "what", "images": [PNG]}])  # fmt: skip
    assert resp.message.content == "echo: what [images: 1]"
    assert mock.last_request.json["messages"][0]["images"] == [PNG]
    uri = [{"role": "user", "content": "what", "images": ["data:image/png;base64," + PNG]}]
    status, _, raw = _http(mock.base_url + "/api/chat", {"model": "llama3.2", "messages": uri})
    assert status == 400 and "base64" in orjson.loads(raw)["error"]


def test_generate_non_stream_and_stream(mock: MockOllama, client: ollama.Client) -> None:
    resp = client.generate(model="llama3.2", prompt="why is the sky blue", system="be brief")
    assert resp.response == "echo: why is the sky blue" and resp.done
    assert (resp.prompt_eval_count, resp.eval_count) == (7, 6) and resp.context == [1, 2, 3]
    parts = list(client.generate(model="llama3.2", prompt="one two", stream=True))
    assert "".join(p.response or "" for p in parts) == "echo: one two"
    assert parts[-1].done and parts[-1].done_reason == "stop"
    status, content_type, raw = _http(mock.base_url + "/api/generate", {"model": "llama3.2", "prompt": "z"})  # fmt: skip
    assert status == 200 and content_type == "application/x-ndjson"
    assert [line.get("response") for line in _lines(raw)] == ["echo:", " z", ""]


def test_list_show_version_embed(mock: MockOllama, client: ollama.Client) -> None:
    names = [m.model for m in client.list().models]
    assert names == ["llama3.2:latest", "qwen3:8b", "all-minilm:latest"]
    info = client.show("qwen3:8b")
    assert info.details and info.details.family == "qwen" and info.details.format == "gguf"
    assert info.capabilities == ["completion", "tools", "thinking"] and info.modelinfo
    status, _, raw = _http(mock.base_url + "/api/version")
    assert status == 200 and orjson.loads(raw) == {"version": "0.12.6"}
    vectors = client.embed(model="all-minilm", input=["a", "bb"]).embeddings
    assert len(vectors) == 2 and all(abs(sum(x * x for x in v) - 1) < 1e-9 for v in vectors)


def test_unknown_model_is_404_everywhere(mock: MockOllama, client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="nope", messages=USER)
    assert info.value.status_code == 404 and info.value.error == "model 'nope' not found"
    with pytest.raises(ollama.ResponseError) as info:
        client.show("nope")
    assert info.value.status_code == 404
    mock.set_models(["only:1b"])
    assert [m.model for m in client.list().models] == ["only:1b"]
    with pytest.raises(ollama.ResponseError):
        client.generate(model="llama3.2", prompt="x")


def test_scripted_errors(mock: MockOllama, client: ollama.Client) -> None:
    mock.enqueue(Error(500, "an error was encountered while running the model"))
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="llama3.2", messages=USER)
    assert info.value.status_code == 500 and "running the model" in info.value.error
    mock.enqueue(Error(429, "too many requests"))
    with pytest.raises(ollama.ResponseError) as info:
        list(client.chat(model="llama3.2", messages=USER, stream=True))
    assert info.value.status_code == 429
    status, _, raw = _http(mock.base_url + "/api/chat", {"model": "", "messages": USER})
    assert status == 400 and orjson.loads(raw) == {"error": "model is required"}


def test_mid_stream_error_line(mock: MockOllama, client: ollama.Client) -> None:
    mock.enqueue(StreamError("boom", "partial answer"), StreamError("boom"))
    seen: list[str] = []
    with pytest.raises(ollama.ResponseError) as info:
        for part in client.chat(model="llama3.2", messages=USER, stream=True):
            seen.append(part.message.content or "")
    assert info.value.error == "boom" and "".join(seen) == "partial answer"
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="llama3.2", messages=USER)
    assert info.value.status_code == 500


def test_raw_body_and_fifo(mock: MockOllama, client: ollama.Client) -> None:
    mock.enqueue(Text("first"), RawBody(502, b"bad gateway", "text/plain"))
    assert mock.pending == 2
    assert client.chat(model="llama3.2", messages=USER).message.content == "first"
    with pytest.raises(ollama.ResponseError) as info:
        client.chat(model="llama3.2", messages=USER)
    assert (info.value.status_code, info.value.error) == (502, "bad gateway")
    assert mock.pending == 0 and len(mock.requests) == 2
    mock.clear()
    with pytest.raises(LookupError):
        _ = mock.last_request


def test_delay_and_disconnect(mock: MockOllama) -> None:
    mock.enqueue(Delay(0.05, Text("late")))
    started = time.monotonic()
    status, _, raw = _http(mock.base_url + "/api/chat", {"model": "llama3.2", "messages": USER, "stream": False})  # fmt: skip
    assert status == 200 and orjson.loads(raw)["message"]["content"] == "late"
    assert time.monotonic() - started >= 0.05
    mock.enqueue(SlowStream(interval=0.02))
    body = orjson.dumps({"model": "llama3.2", "messages": USER})
    request = (
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock:
        sock.sendall(request)
        assert b"application/x-ndjson" in sock.recv(4096)
    assert mock.wait_for_disconnect(5)


def test_unknown_path_is_plain_404(mock: MockOllama) -> None:
    status, content_type, raw = _http(mock.base_url + "/api/nothing")
    assert (status, raw) == (404, b"404 page not found") and content_type == "text/plain"
