"""The Gemini mock must speak the real wire format: the official google-genai SDK is the judge.

Gateway tests trust this mock as "the upstream"; if it drifted from what `google-genai` parses,
those tests would pass against a fiction. Raw HTTP tests cover what the SDK hides (query-string
keys, SSE framing, the JSON-array stream, validation errors).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from typing import Any

import httpx2
import orjson
import pytest
from google import genai
from google.genai import errors, types

from tests.mocks.gemini_upstream import (
    Blocked,
    Delay,
    Error,
    MockGemini,
    RawBody,
    SlowStream,
    Text,
    Thinking,
    ToolCalls,
)

KEY = "test-key"
MODEL = "gemini-2.5-flash"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather for a city",
    parameters=types.Schema(
        type=types.Type.OBJECT,
        properties={"city": types.Schema(type=types.Type.STRING)},
        required=["city"],
    ),
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockGemini]:
    with MockGemini() as mock:
        yield mock


@pytest.fixture
def mock(server: MockGemini) -> MockGemini:
    server.reset()
    return server


def _client(mock: MockGemini, key: str = KEY, **options: Any) -> genai.Client:
    return genai.Client(
        api_key=key, http_options=types.HttpOptions(base_url=mock.base_url, **options)
    )


@pytest.fixture
def client(mock: MockGemini) -> Iterator[genai.Client]:
    with _client(mock) as c:
        yield c


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http(
    url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """(status, content-type, body) of one raw request; a dict body is sent as JSON."""
    data = orjson.dumps(body) if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, response.headers["content-type"], response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["content-type"], exc.read()


def _parts(response: types.GenerateContentResponse) -> list[types.Part]:
    content = (response.candidates or [])[0].content
    return list(content.parts or []) if content else []


def test_generate_content_echo_with_usage(mock: MockGemini, client: genai.Client) -> None:
    config = types.GenerateContentConfig(system_instruction="Be terse.", temperature=0.5)
    resp = client.models.generate_content(model=MODEL, contents="Hello there, world", config=config)
    assert resp.text == "echo: Hello there, world"
    assert resp.model_version == MODEL and resp.response_id
    candidate = (resp.candidates or [])[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    usage = resp.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (
        5,
        4,
        9,
    )
    req = mock.last_request
    # google-genai 3.x talks to /v1 by default (not /v1beta) and sends the key as a header
    assert (req.method, req.path, req.query) == ("POST", f"/v1/models/{MODEL}:generateContent", "")
    assert req.headers["x-goog-api-key"] == KEY
    assert req.headers["x-goog-api-client"].startswith("google-genai-sdk/")
    assert req.json == {
        "contents": [{"parts": [{"text": "Hello there, world"}], "role": "user"}],
        "systemInstruction": {"parts": [{"text": "Be terse."}], "role": "user"},
        "generationConfig": {"temperature": 0.5},
    }


def test_v1beta_and_fifo_replies(mock: MockGemini) -> None:
    mock.enqueue(Text("first"), Text("cut short", finish_reason="MAX_TOKENS"))
    with _client(mock, api_version="v1beta") as client:
        got = []
        for _ in range(3):
            resp = client.models.generate_content(model=MODEL, contents="hi")
            got.append((resp.text, (resp.candidates or [])[0].finish_reason))
    assert got == [
        ("first", types.FinishReason.STOP),
        ("cut short", types.FinishReason.MAX_TOKENS),
        ("echo: hi", types.FinishReason.STOP),
    ]
    assert {r.path for r in mock.requests} == {f"/v1beta/models/{MODEL}:generateContent"}
    assert mock.pending == 0


def test_stream_pieces_and_final_usage(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(Text("The quick  brown fox."))
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="go"))
    assert [c.text for c in chunks] == ["The", " quick", "  brown", " fox."]
    assert [(c.candidates or [])[0].finish_reason for c in chunks][-1] == types.FinishReason.STOP
    assert all((c.candidates or [])[0].finish_reason is None for c in chunks[:-1])
    last = chunks[-1].usage_metadata
    assert last is not None and (last.prompt_token_count, last.candidates_token_count) == (1, 4)
    assert len({c.response_id for c in chunks}) == 1
    req = mock.last_request
    assert (req.path, req.query) == (f"/v1/models/{MODEL}:streamGenerateContent", "alt=sse")


def test_function_calling_round_trip(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(ToolCalls([("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]))
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(
                mode=types.FunctionCallingConfigMode.ANY
            )
        ),
    )
    question = types.Content(role="user", parts=[types.Part.from_text(text="Paris and Oslo?")])
    resp = client.models.generate_content(model=MODEL, contents=[question], config=config)
    calls = resp.function_calls or []
    assert [(c.name, c.args, c.id) for c in calls] == [
        ("get_weather", {"city": "Paris"}, None),
        ("get_weather", {"city": "Oslo"}, None),
    ]
    sent = mock.last_request.json
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert sent["tools"][0]["functionDeclarations"][0]["parameters"]["type"] == "OBJECT"
    answer = types.Part.from_function_response(name="get_weather", response={"temp_c": 18})
    model_turn = (resp.candidates or [])[0].content
    assert model_turn is not None
    history = [question, model_turn, types.Content(role="user", parts=[answer])]
    final = client.models.generate_content(model=MODEL, contents=history, config=config)
    assert final.text == 'echo: get_weather: {"temp_c":18}'


def test_streamed_function_call_arrives_whole(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(ToolCalls([("get_weather", {"city": "Paris"})], text="Checking.", ids=True))
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="weather?"))
    assert len(chunks) == 1 and chunks[0].function_calls is not None
    call = chunks[0].function_calls[0]
    assert (call.name, call.args, call.id) == ("get_weather", {"city": "Paris"}, "fc-0")


def test_thinking_parts_signature_and_usage(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(Thinking("Six sevens make forty two.", "42."))
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(thinking_budget=1024, include_thoughts=True)
    )
    resp = client.models.generate_content(model=MODEL, contents="6*7?", config=config)
    parts = _parts(resp)
    assert [(p.text, p.thought) for p in parts] == [
        ("Six sevens make forty two.", True),
        ("42.", None),
    ]
    assert parts[1].thought_signature == b"signature-1" and resp.text == "42."
    usage = resp.usage_metadata
    assert usage is not None and (usage.thoughts_token_count, usage.total_token_count) == (5, 7)
    # the SDK camel-cases the top levels but sends thinkingConfig's own keys in snake_case
    assert mock.last_request.json["generationConfig"]["thinkingConfig"] == {
        "thinking_budget": 1024,
        "include_thoughts": True,
    }
    mock.enqueue(Thinking("Six sevens.", "The answer is 42."))
    streamed = list(client.models.generate_content_stream(model=MODEL, contents="6*7?"))
    thoughts = [part for chunk in streamed for part in _parts(chunk)]
    assert "".join(p.text or "" for p in thoughts if p.thought) == "Six sevens."
    assert "".join(p.text or "" for p in thoughts if not p.thought) == "The answer is 42."
    assert thoughts[-1].thought_signature == b"signature-1"


def test_blocked_prompt(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(Blocked("PROHIBITED_CONTENT"))
    resp = client.models.generate_content(model=MODEL, contents="something bad")
    assert not resp.candidates and resp.text is None
    assert resp.prompt_feedback is not None
    assert resp.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_count_tokens(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(Text("kept"))
    result = client.models.count_tokens(model=MODEL, contents="one two three four")
    assert result.total_tokens == 4
    assert (mock.last_request.path, mock.pending) == (f"/v1/models/{MODEL}:countTokens", 1)


def test_models_list_pages_and_get(mock: MockGemini, client: genai.Client) -> None:
    names = [m.name for m in client.models.list(config={"page_size": 2})]
    assert names == [
        "models/gemini-2.5-flash",
        "models/gemini-2.5-pro",
        "models/gemini-embedding-001",
    ]
    pages = [r.query for r in mock.requests]
    assert pages[0] == "pageSize=2" and "pageToken=" in pages[1] and len(pages) == 2
    model = client.models.get(model="gemini-2.5-pro")
    assert model.name == "models/gemini-2.5-pro" and model.output_token_limit == 65536
    assert model.supported_actions and "generateContent" in model.supported_actions
    with pytest.raises(errors.ClientError) as info:
        client.models.get(model="gemini-9")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    mock.set_models(["only-one"])
    assert [m.name for m in client.models.list()] == ["models/only-one"]


@pytest.mark.parametrize(
    ("error", "exc", "status"),
    [
        (Error(429, "Quota exceeded", retry_delay="7s"), errors.ClientError, "RESOURCE_EXHAUSTED"),
        (Error(503, "The model is overloaded."), errors.ServerError, "UNAVAILABLE"),
        (Error(500, "boom", status_name="INTERNAL"), errors.ServerError, "INTERNAL"),
    ],
)
def test_errors_reach_the_sdk(
    mock: MockGemini, client: genai.Client, error: Error, exc: type[errors.APIError], status: str
) -> None:
    mock.enqueue(error)
    with pytest.raises(exc) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert (info.value.code, info.value.status, info.value.message) == (
        error.status,
        status,
        error.message,
    )
    if error.retry_delay:
        assert info.value.details["error"]["details"] == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}
        ]


def test_bad_key_is_400_api_key_invalid_and_unknown_model_is_404(mock: MockGemini) -> None:
    with _client(mock, key="wrong") as client, pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert info.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    with _client(mock) as client, pytest.raises(errors.ClientError) as info:
        client.models.generate_content(model="gemini-9", contents="hi")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    assert str(info.value.message).startswith("models/gemini-9 is not found for API version v1,")


def test_in_band_stream_error_raises_after_the_first_chunks(
    mock: MockGemini, client: genai.Client
) -> None:
    mock.enqueue(Error(503, "The model is overloaded.", after_chunks=2))
    seen = []
    with pytest.raises(errors.ServerError) as info:
        for chunk in client.models.generate_content_stream(model=MODEL, contents="a b c"):
            seen.append(chunk.text)
    assert seen == ["echo:", " a"] and info.value.status == "UNAVAILABLE"


def test_key_in_query_sse_framing_and_json_array(mock: MockGemini) -> None:
    base = f"{mock.base_url}/v1beta/models/{MODEL}"
    body = {"contents": [{"role": "user", "parts": [{"text": "hi there"}]}]}
    status, kind, raw = _http(f"{base}:streamGenerateContent?alt=sse&key={KEY}", body)
    assert (status, kind) == (200, "text/event-stream")
    events = raw.split(b"\r\n\r\n")
    assert events[-1] == b"" and all(e.startswith(b"data: {") for e in events[:-1])
    texts = [
        orjson.loads(e[6:])["candidates"][0]["content"]["parts"][0]["text"] for e in events[:-1]
    ]
    assert "".join(texts) == "echo: hi there" and b"[DONE]" not in raw
    status, kind, raw = _http(f"{base}:streamGenerateContent?key={KEY}", body)
    chunks = orjson.loads(raw)
    assert status == 200 and isinstance(chunks, list) and len(chunks) == 3
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert mock.requests[0].headers.get("x-goog-api-key") is None


def test_missing_key_and_validation_errors(mock: MockGemini) -> None:
    url = f"{mock.base_url}/v1beta/models/{MODEL}:generateContent"
    status, _, raw = _http(url, {"contents": []})
    assert status == 403 and orjson.loads(raw)["error"]["status"] == "PERMISSION_DENIED"
    key = {"x-goog-api-key": KEY}
    status, _, raw = _http(url, {"contents": [{"role": "user", "parts": []}]}, key)
    error = orjson.loads(raw)["error"]
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["fieldViolations"][0]["field"] == "contents[0].parts"
    tool = {"name": "f", "parameters": {"type": "object", "additionalProperties": False}}
    body = {"contents": [{"parts": [{"text": "x"}]}], "tools": [{"functionDeclarations": [tool]}]}
    status, _, raw = _http(url, body, key)
    assert (
        status == 400
        and 'Unknown name "additionalProperties"' in orjson.loads(raw)["error"]["message"]
    )
    status, _, raw = _http(url, {"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, key)
    assert status == 400 and "valid role" in orjson.loads(raw)["error"]["message"]
    status, _, raw = _http(url, b"{not json", key)
    assert status == 400 and mock.last_request.json is None
    status, _, _ = _http(f"{mock.base_url}/v1beta/nothing", None, key)
    assert status == 404


def test_raw_body_and_delay(mock: MockGemini, client: genai.Client) -> None:
    mock.enqueue(RawBody(502, b"<html>bad gateway</html>", "text/html"), Delay(0.05, Text("late")))
    with pytest.raises(errors.ServerError) as info:
        client.models.generate_content(model=MODEL, contents="hi")
    assert info.value.code == 502
    started = time.monotonic()
    assert client.models.generate_content(model=MODEL, contents="hi").text == "late"
    assert time.monotonic() - started >= 0.05


def test_client_timeout_is_seen_as_disconnect(mock: MockGemini) -> None:
    mock.enqueue(Delay(30))
    started = time.monotonic()
    with _client(mock, timeout=300) as client, pytest.raises(httpx2.TimeoutException):
        client.models.generate_content(model=MODEL, contents="hi")
    assert mock.wait_for_disconnect(2) and mock.wait_idle(2)
    assert time.monotonic() - started < 3


def test_closing_a_slow_stream_is_seen_as_disconnect(
    mock: MockGemini, client: genai.Client
) -> None:
    mock.enqueue(SlowStream(interval=0.05, piece="word "))
    stream = client.models.generate_content_stream(model=MODEL, contents="hi")
    assert isinstance(stream, Generator)
    pieces = [next(stream).text for _ in range(3)]
    stream.close()
    assert pieces == ["word "] * 3
    assert mock.wait_for_disconnect(2) and mock.wait_idle(2)
