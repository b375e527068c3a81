"""Serving Ollama clients: their `/api/chat` bodies in, Ollama-shaped answers and NDJSON out."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    ReasoningDelta,
    ReasoningPart,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.usage import Usage
from cloverleaf.formats.ollama.dialect import OllamaDialect
from tests.formats.ollama.cases import ndjson

DIALECT = OllamaDialect()
USER = [{"role": "user", "content": "hi"}]


def _decode(**fields: Any) -> Any:
    return DIALECT.decode_request({"model": "llama3.2", "messages": USER, **fields})


@pytest.mark.parametrize(
    ("fields", "stream"),
    [({}, True), ({"stream": None}, True), ({"stream": True}, True), ({"stream": False}, False)],
)
def test_stream_is_on_unless_sent_false(fields: dict[str, Any], stream: bool) -> None:
    assert _decode(**fields).stream is stream


@pytest.mark.parametrize(
    ("think", "reasoning", "extra"),
    [
        (None, None, {}),
        (True, Reasoning(), {}),
        (False, None, {"think": False}),
        ("low", Reasoning(effort="low"), {}),
        ("high", Reasoning(effort="high"), {}),
        ("max", Reasoning(effort="max"), {}),
    ],
)
def test_think_values(think: Any, reasoning: Reasoning | None, extra: dict[str, Any]) -> None:
    request = _decode(think=think) if think is not None else _decode()
    assert (request.reasoning, request.extra) == (reasoning, extra)


@pytest.mark.parametrize(
    ("options", "max_tokens", "stop"),
    [
        ({"num_predict": -1}, None, ()),
        ({"num_predict": -2}, None, ()),
        ({"num_predict": 0}, 0, ()),
        ({"num_predict": 128.0, "stop": "END"}, 128, ("END",)),
    ],
)
def test_option_edges(options: dict[str, Any], max_tokens: int | None, stop: Any) -> None:
    request = _decode(options=options)
    assert (request.max_tokens, request.stop, request.extra) == (max_tokens, stop, {})


def test_format_empty_string_means_none_and_data_uri_images_are_tolerated() -> None:
    message = {"role": "user", "content": "", "images": ["data:image/webp;base64,UklGRg=="]}
    request = DIALECT.decode_request({"model": "m", "messages": [message], "format": ""})
    assert request.response_format is None
    assert request.messages[0].content == (ImagePart(data="UklGRg==", media_type="image/webp"),)


def test_tool_results_pair_by_id_then_name_then_order() -> None:
    calls = [
        {"id": "a1", "function": {"name": "f", "arguments": '{"raw": "text"}'}},
        {"function": {"name": "g", "arguments": {"x": 1}}},
        {"function": {"name": "g", "arguments": {"x": 2}}},
    ]
    messages = [
        *USER,
        {"role": "assistant", "content": "", "tool_calls": calls},
        {"role": "tool", "content": "g1", "tool_name": "g"},
        {"role": "tool", "content": "f", "tool_call_id": "a1"},
        {"role": "tool", "content": "?", "tool_name": "unknown"},
        {"role": "tool", "content": "orphan"},
    ]
    request = DIALECT.decode_request({"model": "m", "messages": messages})
    assert request.messages[1].tool_calls == (
        ToolCall("a1", "f", '{"raw": "text"}'),
        ToolCall("call_1", "g", '{"x":1}'),
        ToolCall("call_2", "g", '{"x":2}'),
    )
    paired = [(m.tool_call_id, m.name) for m in request.messages[2:]]
    assert paired == [("call_1", "g"), ("a1", None), ("call_2", "unknown"), (None, None)]


def _response(message: Message, reason: FinishReason = FinishReason.STOP) -> ChatResponse:
    return ChatResponse("chatcmpl-1", "llama3.2", message, reason, Usage(7, 3, 10), 1717243200)


def test_encode_response_with_thinking_and_calls() -> None:
    message = Message(
        "assistant",
        (ReasoningPart("hmm"), TextPart("Let me check.")),
        (ToolCall("call_9", "get_weather", '{"city":"Paris"}'), ToolCall("", "f", "[1]")),
    )
    body = orjson.loads(DIALECT.encode_response(_response(message, FinishReason.TOOL_CALLS)))
    assert body["message"] == {
        "role": "assistant",
        "content": "Let me check.",
        "thinking": "hmm",
        "tool_calls": [
            {"id": "call_9", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"function": {"name": "f", "arguments": {}}},
        ],
    }
    assert (body["done"], body["done_reason"], body["created_at"]) == (
        True,
        "stop",
        "2024-06-01T12:00:00Z",
    )
    assert (body["prompt_eval_count"], body["eval_count"], body["total_duration"]) == (7, 3, 0)


@pytest.mark.parametrize(
    ("reason", "done_reason"),
    [
        (FinishReason.STOP, "stop"),
        (FinishReason.LENGTH, "length"),
        (FinishReason.TOOL_CALLS, "stop"),
        (FinishReason.CONTENT_FILTER, "stop"),
        (FinishReason.ERROR, "stop"),
    ],
)
def test_done_reason_mapping(reason: FinishReason, done_reason: str) -> None:
    body = orjson.loads(DIALECT.encode_response(_response(Message("assistant"), reason)))
    assert body["done_reason"] == done_reason and body["message"]["content"] == ""


def test_stream_encoder_buffers_call_fragments_until_complete() -> None:
    encoder = DIALECT.stream_encoder(_decode())
    out = [
        encoder.encode(StreamStart("c1", "gpt-4o", 1717243200)),
        encoder.encode(ReasoningDelta("", signature="sig")),
        encoder.encode(TextDelta("")),
        encoder.encode(ToolCallDelta(0, '{"a":', "call_a", "f")),
        encoder.encode(ToolCallDelta(1, "", "call_b", "g")),
        encoder.encode(ToolCallDelta(0, "1}")),
        encoder.encode(ToolCallDelta(1, "{}")),
    ]
    assert out == [b""] * 7
    tail = encoder.encode(TextDelta("after"))
    lines = ndjson(tail)
    assert [line["message"].get("tool_calls") for line in lines] == [
        [
            {"id": "call_a", "function": {"name": "f", "arguments": {"a": 1}}},
            {"id": "call_b", "function": {"name": "g", "arguments": {}}},
        ],
        None,
    ]
    assert lines[1]["message"]["content"] == "after" and lines[1]["model"] == "llama3.2"
    assert encoder.encode(StreamFinish(FinishReason.LENGTH)) == b""
    assert encoder.encode(UsageReport(Usage(5, 6, 11))) == b""
    (final,) = ndjson(encoder.close())
    assert final["done"] is True and final["done_reason"] == "length"
    assert (final["prompt_eval_count"], final["eval_count"]) == (5, 6)


def test_stream_encoder_without_finish_still_ends_with_done() -> None:
    encoder = DIALECT.stream_encoder(_decode())
    wire = encoder.encode(ToolCallDelta(0, '{"q": "x"}', "call_1", "search")) + encoder.close()
    first, last = ndjson(wire)
    assert first["message"]["tool_calls"][0]["function"]["arguments"] == {"q": "x"}
    assert first["created_at"] == "1970-01-01T00:00:00Z"
    assert (last["done"], last["done_reason"], last["eval_count"]) == (True, "stop", 0)
