"""Cohere clients: a v2 body decodes to core and survives the trip back to a Cohere upstream;
answers and streams are written in v2 shape."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    Reasoning,
    ResponseFormat,
    StreamEvent,
    StreamFinish,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    UsageReport,
)
from cloverleaf.core.usage import Usage
from cloverleaf.formats.cohere.dialect import CohereDialect
from cloverleaf.formats.sse import SseParser

DIALECT = CohereDialect()
BODY: dict[str, Any] = {
    "model": "command-a-03-2025",
    "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "tool_plan": "I will look up the weather.",
            "tool_calls": [
                {
                    "id": "w1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "w1",
            "content": [{"type": "document", "document": {"data": {"temp_c": 18}, "id": "wx"}}],
        },
    ],
    "tools": [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ],
    "tool_choice": "REQUIRED",
    "response_format": {"type": "json_object", "json_schema": {"type": "object"}},
    "thinking": {"type": "enabled", "token_budget": 2048},
    "p": 0.5,
    "k": 10,
    "stop_sequences": ["END"],
    "safety_mode": "OFF",
    "stream": True,
}


def test_v2_body_decodes_to_core() -> None:
    core = DIALECT.decode_request(BODY)
    assert (core.top_p, core.top_k, core.stop, core.stream) == (0.5, 10, ("END",), True)
    assert core.tool_choice == ToolChoice("required")
    assert core.response_format == ResponseFormat("json_schema", {"type": "object"})
    assert core.reasoning == Reasoning(budget_tokens=2048)
    assistant, tool = core.messages[2], core.messages[3]
    assert assistant.text() == "I will look up the weather."
    assert assistant.tool_calls == (ToolCall("w1", "get_weather", '{"city":"Paris"}'),)
    assert (tool.tool_call_id, tool.text()) == ("w1", '{"temp_c":18}')
    assert (core.source, core.extra) == ("cohere", {"safety_mode": "OFF"})


def test_v2_body_survives_the_trip_to_a_cohere_upstream() -> None:
    body = DIALECT.encode_request(DIALECT.decode_request(BODY), "command-a-03-2025")
    tool = {**BODY["messages"][3], "content": '{"temp_c":18}'}
    thinking = {"type": "enabled", "token_budget": 2048}
    assert body == {**BODY, "messages": [*BODY["messages"][:3], tool], "thinking": thinking}


def test_response_is_written_in_v2_shape() -> None:
    message = Message("assistant", tool_calls=(ToolCall("c1", "f", "{}"),))
    response = ChatResponse("r1", "m", message, FinishReason.TOOL_CALLS, Usage(5, 2, 7, 1))
    assert orjson.loads(DIALECT.encode_response(response)) == {
        "id": "r1",
        "finish_reason": "TOOL_CALL",
        "message": {
            "role": "assistant",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        "usage": {
            "billed_units": {"input_tokens": 5, "output_tokens": 2},
            "tokens": {"input_tokens": 5, "output_tokens": 2},
            "cached_tokens": 1,
        },
    }


def test_stream_encoder_writes_named_v2_events() -> None:
    encoder = DIALECT.stream_encoder(ChatRequest("m", ()))
    events: list[StreamEvent] = [
        TextDelta("plan"),
        ToolCallDelta(0, '{"a":', "c1", "f"),
        ToolCallDelta(0, "1}"),
        StreamFinish(FinishReason.TOOL_CALLS, "TOOL_CALL"),
        UsageReport(Usage(3, 4, 7)),
    ]
    wire = b"".join(encoder.encode(e) for e in events) + encoder.close()
    frames = SseParser().feed(wire)
    names = [f.event for f in frames]
    assert names == [
        "message-start",
        "content-start",
        "content-delta",
        "content-end",
        "tool-call-start",
        "tool-call-delta",
        "tool-call-delta",
        "tool-call-end",
        "message-end",
        None,
    ]
    assert all(orjson.loads(f.data)["type"] == f.event for f in frames[:-1])
    assert frames[-1].data == "[DONE]"
