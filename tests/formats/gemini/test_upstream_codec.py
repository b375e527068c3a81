"""The Gemini dialect as an upstream, rule by rule: what it refuses, converts, drops and keeps."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect

GEMINI: ChatDialect = GeminiDialect()
OPENAI = OpenAIChatDialect()
USER = Message("user", (TextPart("hi"),))


def _encode(**fields: Any) -> dict[str, Any]:
    return GEMINI.encode_request(ChatRequest(model="m", messages=(USER,), **fields), "m")


def _refused(call: Any, param: str) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        call()
    assert (info.value.status, info.value.param) == (400, param), info.value.message
    return info.value


# -- upstream requests --------------------------------------------------------------------------


def test_http_image_url_is_refused_naming_the_part() -> None:
    image = ImagePart.from_url("https://example.com/cat.png")
    messages = (Message("user", (TextPart("what?"), image)),)
    error = _refused(
        lambda: GEMINI.encode_request(ChatRequest("m", messages), "m"), "messages[0].content[1]"
    )
    assert "cannot fetch" in error.message


def test_a_conversation_of_only_system_text_is_refused() -> None:
    only_system = ChatRequest("m", (Message("system", (TextPart("be nice"),)),))
    _refused(lambda: GEMINI.encode_request(only_system, "m"), "messages")


def test_more_than_five_stop_sequences_is_refused() -> None:
    assert _encode(stop=tuple("abcde"))["generationConfig"]["stopSequences"] == list("abcde")
    _refused(lambda: _encode(stop=tuple("abcdef")), "stop")


@pytest.mark.parametrize(
    ("reasoning", "max_tokens", "expected"),
    [
        (Reasoning(effort="low"), None, {"includeThoughts": True, "thinkingBudget": 1024}),
        (Reasoning(effort="HIGH"), None, {"includeThoughts": True, "thinkingBudget": 16384}),
        (Reasoning(effort="high"), 2000, {"includeThoughts": True, "thinkingBudget": 1999}),
        (Reasoning(effort="none"), None, {"thinkingBudget": 0}),
        (Reasoning(budget_tokens=300), 100, {"includeThoughts": True, "thinkingBudget": 300}),
        (Reasoning(), None, {"includeThoughts": True}),
    ],
)
def test_reasoning_effort_becomes_a_thinking_budget(
    reasoning: Reasoning, max_tokens: int | None, expected: dict[str, Any]
) -> None:
    config = _encode(reasoning=reasoning, max_tokens=max_tokens)["generationConfig"]
    assert config["thinkingConfig"] == expected


def test_unknown_effort_is_refused() -> None:
    _refused(lambda: _encode(reasoning=Reasoning(effort="extreme")), "reasoning_effort")


def test_tool_choice_modes() -> None:
    tools = (Tool("f"), Tool("g"))
    cases = {
        ToolChoice("auto"): {"mode": "AUTO"},
        ToolChoice("none"): {"mode": "NONE"},
        ToolChoice("required"): {"mode": "ANY"},
        ToolChoice("function", "g"): {"mode": "ANY", "allowedFunctionNames": ["g"]},
    }
    for choice, expected in cases.items():
        body = _encode(tools=tools, tool_choice=choice)
        assert body["toolConfig"] == {"functionCallingConfig": expected}
        assert body["tools"] == [{"functionDeclarations": [{"name": "f"}, {"name": "g"}]}]
    assert "toolConfig" not in _encode(tools=tools)


def test_dropped_parameters_do_not_reach_gemini() -> None:
    body = _encode(user="u", parallel_tool_calls=False, extra={"logit_bias": {}, "n": 2})
    assert body == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_json_mode_without_schema() -> None:
    config = _encode(response_format=ResponseFormat("json_object"))["generationConfig"]
    assert config == {"responseMimeType": "application/json"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (
            {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}},
             "definitions": {"A": {"allOf": [{"type": "string"}], "description": "an A"}}},
            {"type": "object", "properties": {"a": {"type": "string", "description": "an A"}}},
        ),
        (
            {"type": "object", "properties": {"v": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                                              "k": {"const": "x"}, "n": {"type": ["integer", "string"]}}},
            {"type": "object", "properties": {"v": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                                              "k": {"enum": ["x"]},
                                              "n": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}},
        ),
        (
            {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "null"}}}},
            {"type": "object", "properties": {"xs": {"type": "array", "items": {"nullable": True}}}},
        ),
    ],
)  # fmt: skip
def test_tool_schema_hygiene(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    declaration = _encode(tools=(Tool("f", parameters=schema),))["tools"][0]
    assert declaration == {"functionDeclarations": [{"name": "f", "parameters": expected}]}


def test_recursive_tool_schema_is_refused() -> None:
    tree = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
        "$defs": {"Node": {"type": "object", "properties": {"kids": {"$ref": "#/$defs/Node"}}}},
    }
    error = _refused(lambda: _encode(tools=(Tool("a"), Tool("tree", parameters=tree))), "tools[1]")
    assert "recursive" in error.message


def _history(*messages: Message) -> list[dict[str, Any]]:
    contents = GEMINI.encode_request(ChatRequest("m", messages), "m")["contents"]
    assert isinstance(contents, list)
    return contents


def test_tool_results_need_a_known_function_name() -> None:
    orphan = Message("tool", (TextPart("18C"),), tool_call_id="call_9")
    _refused(lambda: _history(USER, orphan), "messages[1].tool_call_id")
    named = Message("tool", (TextPart("18C"),), tool_call_id="toolu_9", name="get_weather")
    response = {"name": "get_weather", "response": {"result": "18C"}, "id": "toolu_9"}
    # a user turn and the tool result after it merge into one user content
    assert _history(USER, named) == [
        {"role": "user", "parts": [{"text": "hi"}, {"functionResponse": response}]}
    ]


def test_tool_result_shapes() -> None:
    call = Message("assistant", tool_calls=(ToolCall("call_0", "f", "not json"),))
    results = [
        Message("tool", (TextPart("[1, 2]"),), tool_call_id="call_0"),
        Message("tool", (TextPart("boom"),), tool_call_id="call_0", is_error=True),
        Message("tool", (TextPart(""),), tool_call_id="call_0"),
    ]
    contents = _history(USER, call, *results)
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "f", "args": {"arguments": "not json"}}}
    ]
    assert [p["functionResponse"]["response"] for p in contents[2]["parts"]] == [
        {"result": [1, 2]},
        {"error": "boom"},
        {"result": ""},
    ]
    image = Message("tool", (ImagePart(data="AA", media_type="image/png"),), tool_call_id="call_0")
    _refused(lambda: _history(USER, call, image), "messages[2].content")


def test_signatures_go_back_on_their_parts() -> None:
    turn = Message(
        "assistant",
        (
            ReasoningPart("thinking", "sig-thought"),
            ReasoningPart("", "sig-text"),
            TextPart("Let me look."),
            ReasoningPart("", "sig-call"),
            ReasoningPart("hidden", redacted=True),
        ),
        (ToolCall("call_0", "f", "{}"), ToolCall("call_1", "g", "")),
    )
    dangling = Message("assistant", (TextPart("ok"), ReasoningPart("", "sig-end")))
    assert _history(turn, USER, dangling) == [
        {
            "role": "model",
            "parts": [
                {"text": "thinking", "thought": True, "thoughtSignature": "sig-thought"},
                {"text": "Let me look.", "thoughtSignature": "sig-text"},
                {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "sig-call"},
                {"functionCall": {"name": "g", "args": {}}},
            ],
        },
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "ok"}, {"text": "", "thoughtSignature": "sig-end"}]},
    ]


# -- upstream responses -------------------------------------------------------------------------


def _response(candidate: dict[str, Any], **extra: Any) -> ChatResponse:
    return GEMINI.decode_response(orjson.dumps({"candidates": [candidate], **extra}))


@pytest.mark.parametrize(
    ("raw", "calls", "expected"),
    [
        ("STOP", False, FinishReason.STOP),
        ("STOP", True, FinishReason.TOOL_CALLS),
        ("MAX_TOKENS", True, FinishReason.LENGTH),
        ("RECITATION", False, FinishReason.CONTENT_FILTER),
        ("IMAGE_SAFETY", False, FinishReason.CONTENT_FILTER),
        ("MALFORMED_FUNCTION_CALL", False, FinishReason.ERROR),
        ("FINISH_REASON_UNSPECIFIED", False, FinishReason.STOP),
        (None, False, FinishReason.STOP),
    ],
)
def test_finish_reasons_keep_the_raw_value(
    raw: str | None, calls: bool, expected: FinishReason
) -> None:
    parts = [{"functionCall": {"name": "f"}}] if calls else [{"text": "x"}]
    response = _response({"content": {"parts": parts}, "finishReason": raw})
    assert (response.finish_reason, response.raw_finish_reason) == (expected, raw)
    assert response.message.tool_calls == ((ToolCall("call_0", "f", "{}"),) if calls else ())


def test_vertex_call_ids_are_kept_and_echoed() -> None:
    parts = [{"functionCall": {"id": "fc-1", "name": "f", "args": {"a": 1}}}]
    response = _response({"content": {"role": "model", "parts": parts}, "finishReason": "STOP"})
    assert response.message.tool_calls == (ToolCall("fc-1", "f", '{"a":1}'),)
    result = Message("tool", (TextPart("ok"),), tool_call_id="fc-1")
    assert _history(USER, response.message, result)[1:] == [
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "f", "args": {"a": 1}, "id": "fc-1"}}],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "f", "response": {"result": "ok"}, "id": "fc-1"}}
            ],
        },
    ]


def test_unreadable_response_is_a_502() -> None:
    for body in (b"<html>", b"[]"):
        with pytest.raises(GatewayError) as info:
            GEMINI.decode_response(body)
        assert (info.value.status, info.value.type) == (502, "server_error")


# -- across dialects ----------------------------------------------------------------------------


def test_tool_call_round_trip_through_an_openai_client() -> None:
    """Gemini calls reach an OpenAI client as call_<n>; its results find their function names."""
    parts = [
        {"functionCall": {"name": "get_weather", "args": {"city": c}}} for c in ("Paris", "Oslo")
    ]
    upstream = _response({"content": {"role": "model", "parts": parts}, "finishReason": "STOP"})
    answer = orjson.loads(OPENAI.encode_response(upstream))["choices"][0]
    assert answer["finish_reason"] == "tool_calls"
    assistant = answer["message"]
    results = [
        {"role": "tool", "tool_call_id": call["id"], "content": f"{n}C"}
        for n, call in zip((18, 4), assistant["tool_calls"], strict=True)
    ]
    follow_up = OPENAI.decode_request(
        {"model": "m", "messages": [{"role": "user", "content": "weather?"}, assistant, *results]}
    )
    contents = GEMINI.encode_request(follow_up, "m")["contents"]
    assert contents[1:] == [
        {"role": "model", "parts": parts},
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"result": "18C"}}},
                {"functionResponse": {"name": "get_weather", "response": {"result": "4C"}}},
            ],
        },
    ]
