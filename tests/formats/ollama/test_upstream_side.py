"""Calling a native Ollama server: the `/api/chat` body we build and the answers we read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
    Message,
    Reasoning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from cloverleaf.formats.ollama.dialect import OllamaDialect

DIALECT = OllamaDialect()
USER = Message("user", (TextPart("hi"),))
TOOLS = (Tool("f"), Tool("g"))


def _body(**fields: Any) -> dict[str, Any]:
    return DIALECT.encode_request(ChatRequest(model="client-name", messages=(USER,), **fields), "m")


def test_minimal_body_sends_stream_false_explicitly() -> None:
    """Ollama streams when `stream` is absent, so a non-streaming call must say false."""
    assert _body() == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": False}  # fmt: skip
    assert _body(stream=True)["stream"] is True


@pytest.mark.parametrize(
    ("reasoning", "think"),
    [
        (Reasoning(), True),
        (Reasoning(effort="low"), "low"),
        (Reasoning(effort="medium"), "medium"),
        (Reasoning(effort="high"), "high"),
        (Reasoning(effort="max"), "max"),
        (Reasoning(effort="minimal"), "low"),
        (Reasoning(effort="xhigh"), "max"),
        (Reasoning(effort="none"), False),
        (Reasoning(budget_tokens=4096), True),
        (Reasoning(effort="weird"), True),
    ],
)
def test_reasoning_becomes_think(reasoning: Reasoning, think: Any) -> None:
    assert _body(reasoning=reasoning)["think"] == think


def test_ollama_extras_pass_through_and_foreign_extras_do_not() -> None:
    extra = {
        "keep_alive": "10m",
        "think": False,
        "options": {"num_ctx": 8192, "temperature": 0.1},
        "logit_bias": {"50256": -100},
        "stream_options": {"include_usage": True},
    }
    body = _body(extra=extra, temperature=0.5, top_k=20)
    assert body["keep_alive"] == "10m" and body["think"] is False
    assert body["options"] == {"num_ctx": 8192, "temperature": 0.5, "top_k": 20}
    assert "logit_bias" not in body and "stream_options" not in body
    assert _body(extra=extra, reasoning=Reasoning(effort="low"))["think"] == "low"


@pytest.mark.parametrize(
    ("choice", "names"),
    [
        (None, ["f", "g"]),
        (ToolChoice("auto"), ["f", "g"]),
        (ToolChoice("required"), ["f", "g"]),
        (ToolChoice("function", "g"), ["g"]),
        (ToolChoice("function", "missing"), ["f", "g"]),
        (ToolChoice("none"), []),
    ],
)
def test_tool_choice_has_no_native_field(choice: ToolChoice | None, names: list[str]) -> None:
    body = _body(tools=TOOLS, tool_choice=choice, parallel_tool_calls=False)
    assert [t["function"]["name"] for t in body.get("tools", [])] == names
    assert "tool_choice" not in body and "parallel_tool_calls" not in body


@pytest.mark.parametrize(
    ("fmt", "wire"),
    [
        (ResponseFormat("text"), None),
        (ResponseFormat("json_object"), "json"),
        (ResponseFormat("json_schema", {"type": "object"}, "x"), {"type": "object"}),
        (ResponseFormat("json_schema"), "json"),
    ],
)
def test_response_format(fmt: ResponseFormat, wire: Any) -> None:
    assert _body(response_format=fmt).get("format") == wire


@pytest.mark.parametrize("arguments", ["", "{not json", "[1, 2]", '"text"', "null"])
def test_unusable_arguments_become_an_empty_object(arguments: str) -> None:
    call = Message("assistant", (), (ToolCall("c1", "f", arguments),))
    body = DIALECT.encode_request(ChatRequest(model="x", messages=(USER, call)), "m")
    assert body["messages"][1]["tool_calls"] == [
        {"id": "c1", "function": {"name": "f", "arguments": {}}}
    ]


def test_tool_name_from_the_call_else_from_the_message() -> None:
    messages = (
        USER,
        Message(
            "assistant", (ReasoningPart("secret", redacted=True),), (ToolCall("c1", "f", "{}"),)
        ),
        Message("tool", (TextPart("r1"),), tool_call_id="c1", name="stale"),
        Message("tool", (TextPart("r2"),), tool_call_id="unknown", name="g"),
        Message("tool", (TextPart("r3"),)),
    )
    wire = DIALECT.encode_request(ChatRequest(model="x", messages=messages), "m")["messages"]
    assert "thinking" not in wire[1]
    assert wire[2:] == [
        {"role": "tool", "content": "r1", "tool_name": "f", "tool_call_id": "c1"},
        {"role": "tool", "content": "r2", "tool_name": "g", "tool_call_id": "unknown"},
        {"role": "tool", "content": "r3"},
    ]


def _decoded(message: dict[str, Any], **fields: Any) -> Any:
    body = {"model": "m", "created_at": "2024-06-01T12:00:00Z", "message": message, **fields}
    return DIALECT.decode_response(orjson.dumps({"done": True, **body}))


def test_decode_thinking_only_and_odd_fields() -> None:
    response = _decoded({"role": "assistant", "content": "", "thinking": "hm"}, done_reason="load")
    assert response.message.content == (ReasoningPart("hm"),)
    assert (response.finish_reason, response.raw_finish_reason) == (FinishReason.STOP, "load")
    assert (response.id, response.created, response.usage.total_tokens) == ("", 1717243200, 0)
    odd = _decoded({"tool_calls": [{"function": {"name": "f", "arguments": '{"a":1}'}}]})
    assert odd.message.tool_calls == (ToolCall("call_0", "f", '{"a":1}'),)
    assert odd.finish_reason is FinishReason.TOOL_CALLS and odd.raw_finish_reason is None
    assert _decoded({}, created_at="yesterday").created == 0


def test_length_wins_over_tool_calls() -> None:
    calls = [{"function": {"name": "f", "arguments": {}}}]
    response = _decoded({"role": "assistant", "tool_calls": calls}, done_reason="length")
    assert response.finish_reason is FinishReason.LENGTH
