"""The stream encoder's named events, each validated by the `openai` SDK's own event models."""

from __future__ import annotations

from typing import Any

import orjson
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
    Message,
    ReasoningDelta,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_responses.response import Echo
from cloverleaf.formats.openai_responses.streaming import ResponsesStreamEncoder
from cloverleaf.formats.sse import SseParser

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
REQUEST = ChatRequest("claude-x", (Message("user"),), stream=True)
USAGE = Usage(prompt_tokens=5, completion_tokens=4, total_tokens=9)


def _run(events: list[StreamEvent], error: GatewayError | None = None) -> list[dict[str, Any]]:
    encoder = ResponsesStreamEncoder(REQUEST, Echo(1_700_000_000, id="gen-1"))
    wire = b"".join(encoder.encode(e) for e in events)
    wire += encoder.error(error) if error else encoder.close()
    assert b"[DONE]" not in wire
    frames = SseParser().feed(wire)
    parsed = []
    for number, frame in enumerate(frames):
        data = orjson.loads(frame.data)
        assert frame.event == data["type"]
        assert data["sequence_number"] == number
        EVENTS.validate_python(data)  # the SDK's own model accepts it
        parsed.append(data)
    return parsed


def test_text_streams_as_one_message_item() -> None:
    events = _run(
        [
            StreamStart("msg_9", "claude-x-1"),
            TextDelta("Hel"),
            TextDelta("lo"),
            StreamFinish(FinishReason.STOP),
            UsageReport(USAGE),
        ]
    )
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[0]["response"]["id"] == "resp_msg_9"
    assert events[0]["response"]["status"] == "in_progress"
    assert events[6]["text"] == "Hello"
    final = events[-1]["response"]
    assert final["status"] == "completed" and final["model"] == "claude-x-1"
    assert final["output"][0]["content"][0]["text"] == "Hello"
    assert final["usage"]["input_tokens"] == 5 and final["usage"]["total_tokens"] == 9


def test_reasoning_then_tool_calls() -> None:
    events = _run(
        [
            StreamStart("", ""),
            ReasoningDelta("think"),
            ReasoningDelta("", signature="sig"),
            ToolCallDelta(0, '{"a"', id="call_1", name="f"),
            ToolCallDelta(0, ":1}"),
            ToolCallDelta(1, "{}", id="call_2", name="g"),
            StreamFinish(FinishReason.TOOL_CALLS),
            UsageReport(USAGE),
        ]
    )
    kinds = [e["type"] for e in events]
    assert kinds[2:6] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
    ]
    added = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    assert [(i["type"], i.get("arguments")) for i in added] == [
        ("reasoning", None),
        ("function_call", ""),
        ("function_call", ""),
    ]
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert [(d["arguments"], d["name"], d["output_index"]) for d in done] == [
        ('{"a":1}', "f", 1),
        ("{}", "g", 2),
    ]
    final = events[-1]["response"]
    assert final["id"] == "resp_gen-1"  # the upstream named none
    assert final["output"][0]["encrypted_content"] == "sig"
    assert [o["call_id"] for o in final["output"][1:]] == ["call_1", "call_2"]


def test_a_cut_stream_ends_incomplete() -> None:
    events = _run([TextDelta("Hi"), StreamFinish(FinishReason.LENGTH), UsageReport(USAGE)])
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete"


def test_a_failure_is_an_error_event_then_response_failed() -> None:
    failure = GatewayError(502, "upstream went away", type="server_error", code="boom")
    events = _run([TextDelta("Hi")], error=failure)
    assert [e["type"] for e in events[-2:]] == ["error", "response.failed"]
    assert events[-2]["message"] == "upstream went away" and events[-2]["code"] == "boom"
    assert events[-1]["response"]["status"] == "failed"
    assert events[-1]["response"]["error"]["message"] == "upstream went away"
