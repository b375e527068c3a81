"""Anthropic clients: bad request bodies get a 400 naming the field; answers produced by any
upstream come back as Anthropic messages and streams, in the order the real API sends."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    Reasoning,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.sse import SseParser

DIALECT = AnthropicDialect()
OK: dict[str, Any] = {
    "model": "claude-x",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "hi"}],
}
TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"model": ""}, "model"),
        ({"max_tokens": None}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        (
            {"messages": [{"role": "user", "content": [{"type": "search_result"}]}]},
            "messages[0].content[0]",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
            "messages[0].content[0].source",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}],
                    }
                ]
            },
            "messages[0].content[0].source",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]},
            "messages[0].content[0].tool_use_id",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages[0].content[0].text",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "content": [{"type": "server_tool_use", "id": "s"}]}
                ]
            },
            "messages[0].content[0]",
        ),
        (
            {"messages": [{"role": "assistant", "content": [{**TOOL_USE, "id": 7}]}]},
            "messages[0].content[0]",
        ),
        ({"system": [{"type": "image"}]}, "system"),
        ({"system": 3}, "system"),
        ({"temperature": 1.5}, "temperature"),
        ({"top_k": -1}, "top_k"),
        ({"stop_sequences": "END"}, "stop_sequences"),
        ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "tools[0]"),
        ({"tools": [{"name": "f"}]}, "tools[0]"),
        ({"tools": {"name": "f"}}, "tools"),
        ({"tool_choice": {"type": "sometimes"}}, "tool_choice"),
        ({"tool_choice": {"type": "tool"}}, "tool_choice.name"),
        ({"thinking": {"type": "enabled", "budget_tokens": 512}}, "thinking.budget_tokens"),
        ({"thinking": {"type": "on"}}, "thinking"),
        ({"output_config": {"format": {"type": "json_object"}}}, "output_config.format"),
        ({"output_config": "json"}, "output_config"),
        ({"metadata": ["u"]}, "metadata"),
    ],
)
def test_bad_client_bodies_name_the_field(change: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as info:
        DIALECT.decode_request({**OK, **change})
    assert (info.value.status, info.value.param) == (400, param)
    assert info.value.message.startswith(re.split(r"[.\[]", param, maxsplit=1)[0])


def test_adaptive_thinking_system_turns_and_legacy_output_format() -> None:
    core = DIALECT.decode_request(
        {
            **OK,
            "thinking": {"type": "adaptive"},
            "output_config": {"effort": "max"},
            "output_format": {"type": "json_schema", "schema": {"type": "object"}},
            "messages": [{"role": "system", "content": "Be brief."}, *OK["messages"]],
        }
    )
    assert core.reasoning == Reasoning(effort="high")
    assert core.response_format is not None and core.response_format.schema == {"type": "object"}
    assert core.messages[0] == Message("system", (TextPart("Be brief."),))
    disabled = DIALECT.decode_request({**OK, "thinking": {"type": "disabled"}})
    assert disabled.reasoning is None and disabled.extra == {}


def _response(message: Message, reason: FinishReason, raw: str | None, usage: Usage) -> Any:
    core = ChatResponse("chatcmpl-1", "gpt-4o", message, reason, usage, 17, raw)
    return orjson.loads(DIALECT.encode_response(core))


def test_an_openai_answer_for_an_anthropic_client() -> None:
    message = Message(
        "assistant",
        (ReasoningPart("hmm"), TextPart(""), TextPart("Calling.")),
        (ToolCall("call_1", "f", '{"a": [1]}'), ToolCall("call_2", "g", '{"cut')),
    )
    usage = Usage(prompt_tokens=100, completion_tokens=30, cached_tokens=80, reasoning_tokens=12)
    assert _response(message, FinishReason.TOOL_CALLS, "tool_calls", usage) == {
        "id": "chatcmpl-1",
        "type": "message",
        "role": "assistant",
        "model": "gpt-4o",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": ""},
            {"type": "text", "text": "Calling."},
            {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": [1]}},
            {"type": "tool_use", "id": "call_2", "name": "g", "input": {}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 80,
            "output_tokens": 30,
            "output_tokens_details": {"thinking_tokens": 12},
        },
    }


@pytest.mark.parametrize(
    ("reason", "raw", "expected"),
    [
        (FinishReason.STOP, "stop", "end_turn"),
        (FinishReason.STOP, "stop_sequence", "stop_sequence"),
        (FinishReason.STOP, "pause_turn", "pause_turn"),
        (FinishReason.LENGTH, "length", "max_tokens"),
        (FinishReason.LENGTH, "model_context_window_exceeded", "model_context_window_exceeded"),
        (FinishReason.CONTENT_FILTER, "SAFETY", "refusal"),
        (FinishReason.ERROR, None, "end_turn"),
        (FinishReason.STOP, "max_tokens", "end_turn"),  # a raw value that disagrees is ignored
    ],
)
def test_stop_reason_for_anthropic_clients(
    reason: FinishReason, raw: str | None, expected: str
) -> None:
    body = _response(Message("assistant", (TextPart("x"),)), reason, raw, Usage())
    assert body["stop_reason"] == expected


def _wire(events: list[StreamEvent]) -> list[tuple[str | None, Any]]:
    encoder = DIALECT.stream_encoder(ChatRequest(model="claude-x", messages=()))
    wire = b"".join(encoder.encode(e) for e in events) + encoder.close()
    return [(e.event, orjson.loads(e.data)) for e in SseParser().feed(wire)]


def _delta(index: int, **delta: Any) -> tuple[str, Any]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}


def _start(index: int, **block: Any) -> tuple[str, Any]:
    return "content_block_start", {
        "type": "content_block_start",
        "index": index,
        "content_block": block,
    }


def _stop(index: int) -> tuple[str, Any]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


def test_stream_wire_order_from_openai_style_events() -> None:
    """Usage arrives after the finish: message_delta waits for it, then message_stop closes."""
    events: list[StreamEvent] = [
        StreamStart("chatcmpl-1", "gpt-4o", 5),
        ReasoningDelta("a"),
        ReasoningDelta("", "sig"),
        ReasoningDelta(redacted=True, data="redacted-data"),
        TextDelta("Hi"),
        ToolCallDelta(0, "", "call_1", "f"),
        ToolCallDelta(0, "{}"),
        StreamFinish(FinishReason.TOOL_CALLS, "tool_calls"),
        UsageReport(Usage(5, 6, 11, 1)),
    ]
    start: dict[str, Any] = {
        "id": "chatcmpl-1",
        "type": "message",
        "role": "assistant",
        "model": "gpt-4o",
        "content": [],
    }
    start |= {
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }
    usage = {
        "input_tokens": 4,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 1,
        "output_tokens": 6,
    }
    assert _wire(events) == [
        ("message_start", {"type": "message_start", "message": start}),
        _start(0, type="thinking", thinking="", signature=""),
        _delta(0, type="thinking_delta", thinking="a"),
        _delta(0, type="signature_delta", signature="sig"),
        _stop(0),
        _start(1, type="redacted_thinking", data="redacted-data"),
        _stop(1),
        _start(2, type="text", text=""),
        _delta(2, type="text_delta", text="Hi"),
        _stop(2),
        _start(3, type="tool_use", id="call_1", name="f", input={}),
        _delta(3, type="input_json_delta", partial_json="{}"),
        _stop(3),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": usage,
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def test_usage_before_the_finish_and_a_late_tool_fragment() -> None:
    events: list[StreamEvent] = [
        StreamStart("m1", ""),
        ToolCallDelta(0, '{"a":', "c0", "f"),
        ToolCallDelta(1, "{}", "c1", "g"),
        ToolCallDelta(0, "1}"),  # interleaved: still addressed to call 0's block
        UsageReport(Usage(2, 3, 5)),
        StreamFinish(FinishReason.LENGTH, "length"),
    ]
    wire = _wire(events)
    assert wire[0][1]["message"]["model"] == "claude-x"  # the upstream did not name one
    assert _delta(0, type="input_json_delta", partial_json="1}") in wire
    assert [name for name, _ in wire[-2:]] == ["message_delta", "message_stop"]
    assert wire[-2][1]["delta"]["stop_reason"] == "max_tokens"
    assert sum(1 for name, _ in wire if name == "message_delta") == 1
