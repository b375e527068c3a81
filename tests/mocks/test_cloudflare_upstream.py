"""The Workers AI mock must speak the real wire: raw HTTP for the native run API (no official
Python SDK here), the official `openai` SDK for the `/ai/v1` surface, our own decoder for SSE."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import orjson
import pytest

from cloverleaf.core.chat import StreamEvent
from cloverleaf.formats.cloudflare import CloudflareRunDialect, run_path
from tests.formats.fixtures import merge_text, to_json
from tests.mocks.cloudflare_upstream import Error, MockCloudflare, RawBody, Text, ToolCalls

MODEL = "@cf/meta/llama-3.1-8b-instruct"
TOKEN = "cf-test-token"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server() -> Iterator[MockCloudflare]:
    with MockCloudflare() as mock:
        yield mock


@pytest.fixture
def mock(server: MockCloudflare) -> MockCloudflare:
    server.reset()
    return server


@pytest.fixture
def client(mock: MockCloudflare) -> Iterator[openai.OpenAI]:
    base = mock.base_url + "/client/v4/accounts/acc/ai/v1"
    with openai.OpenAI(base_url=base, api_key=TOKEN, max_retries=0) as c:
        yield c


def _run(mock: MockCloudflare, body: Any, token: str | None = TOKEN) -> tuple[int, str, bytes]:
    """POST to the native run path; (status, content type, body)."""
    return _post(mock, "/client/v4" + run_path("acc", MODEL, stream=False), body, token)


def _post(
    mock: MockCloudflare, path: str, body: Any, token: str | None = TOKEN
) -> tuple[int, str, bytes]:
    url = mock.base_url + path
    request = urllib.request.Request(url, data=orjson.dumps(body), method="POST")
    request.add_header("content-type", "application/json")
    if token is not None:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, response.headers["content-type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["content-type"], error.read()


def test_native_echo_with_envelope_and_unencoded_model_path(mock: MockCloudflare) -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi there"},
        ]
    }
    status, kind, raw = _run(mock, body)
    assert (status, kind) == (200, "application/json")
    assert orjson.loads(raw) == {
        "result": {
            "response": "echo: hi there",
            "tool_calls": [],
            "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7},
        },
        "success": True,
        "errors": [],
        "messages": [],
    }
    seen = mock.last_request
    assert seen.path == f"/client/v4/accounts/acc/ai/run/{MODEL}"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}" and seen.json == body


def test_native_prompt_body_and_tool_calls_decode(mock: MockCloudflare) -> None:
    assert orjson.loads(_run(mock, {"prompt": "say this"})[2])["result"]["response"] == (
        "echo: say this"
    )
    mock.enqueue(ToolCalls([("get_weather", '{"city":"Paris"}')]))
    status, _, raw = _run(mock, {"messages": [{"role": "user", "content": "w?"}]})
    core = CloudflareRunDialect().decode_response(raw)
    assert status == 200 and core.finish_reason.value == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in core.message.tool_calls] == [
        ("call_0", "get_weather", '{"city":"Paris"}')
    ]


def test_native_stream_decodes_with_the_dialect(mock: MockCloudflare) -> None:
    mock.enqueue(Text("Hello there world"))
    body = {"messages": [{"role": "user", "content": "hi"}], "stream": True}
    status, kind, raw = _run(mock, body)
    assert (status, kind) == (200, "text/event-stream")
    assert raw.startswith(b'data: {"response":"Hello","p":"a"}\n\n')
    assert raw.endswith(b"data: [DONE]\n\n")
    decoder = CloudflareRunDialect().stream_decoder()
    events: list[StreamEvent] = [*decoder.feed(raw), *decoder.close()]
    got = to_json(merge_text(events))
    assert [e["type"] for e in got] == ["StreamStart", "TextDelta", "UsageReport", "StreamFinish"]
    assert got[1]["text"] == "Hello there world"
    assert got[2]["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize("token", [None, ""])
def test_native_requires_bearer_auth(mock: MockCloudflare, token: str | None) -> None:
    status, _, raw = _run(mock, {"prompt": "x"}, token=token)
    assert status == 401
    error = CloudflareRunDialect().parse_error(status, raw, "cloudflare")
    assert (error.message, error.code) == ("Authentication error", "10000")


def test_native_scripted_and_validation_errors(mock: MockCloudflare) -> None:
    mock.enqueue(Error(429, "Capacity temporarily exceeded", code=3040), RawBody(502, b"oops"))
    status, _, raw = _run(mock, {"prompt": "x"})
    error = CloudflareRunDialect().parse_error(status, raw, "cloudflare")
    assert (error.status, error.message, error.code) == (
        429,
        "Capacity temporarily exceeded",
        "3040",
    )
    assert _run(mock, {"prompt": "x"})[::2] == (502, b"oops")
    status, _, raw = _run(mock, {"nothing": True})
    assert status == 400 and orjson.loads(raw)["errors"][0]["code"] == 5006
    assert mock.pending == 0 and len(mock.requests) == 3


def test_openai_sdk_non_stream(mock: MockCloudflare, client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hello you"}]
    )
    assert reply.choices[0].message.content == "echo: hello you"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.total_tokens == 2 + 3
    seen = mock.last_request
    assert seen.path == "/client/v4/accounts/acc/ai/v1/chat/completions"
    assert seen.json["model"] == MODEL


def test_openai_sdk_stream_text_and_tools(mock: MockCloudflare, client: openai.OpenAI) -> None:
    mock.enqueue(Text("one two"), ToolCalls([("f", '{"a":1}')]))
    messages: Any = [{"role": "user", "content": "x"}]
    with client.chat.completions.create(
        model=MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
    ) as stream:
        chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 2
    with client.chat.completions.create(model=MODEL, messages=messages, stream=True) as stream:
        calls = [tc for c in stream for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].function is not None and calls[0].function.arguments == '{"a":1}'


def test_v1_requires_bearer_auth(mock: MockCloudflare) -> None:
    """Checked raw: the SDK always sends a key, and httpx refuses a blank one."""
    path = "/client/v4/accounts/acc/ai/v1/chat/completions"
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}
    status, _, raw = _post(mock, path, body, token=None)
    assert status == 401 and orjson.loads(raw)["errors"][0]["code"] == 10000


def test_openai_sdk_sees_scripted_errors(mock: MockCloudflare, client: openai.OpenAI) -> None:
    mock.enqueue(Error(400, "Model not found", code=5007))
    messages: Any = [{"role": "user", "content": "x"}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=messages)
    assert caught.value.status_code == 400
    assert orjson.loads(caught.value.response.content)["errors"][0]["code"] == 5007


def test_unknown_route_is_an_envelope_404(mock: MockCloudflare) -> None:
    status, _, raw = _post(mock, "/client/v4/accounts/acc/ai/models", {})
    assert status == 404 and orjson.loads(raw)["success"] is False
