"""The Gemini dialect facing Gemini clients, and its streams: decode, encode, round trips."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.genai import types

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
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.formats.gemini.streaming import GeminiStreamDecoder
from tests.formats.fixtures import decode_split, merge_text

GEMINI: ChatDialect = GeminiDialect()
USER = Message("user", (TextPart("hi"),))


def _refused(call: Any, param: str) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        call()
    assert (info.value.status, info.value.param) == (400, param), info.value.message
    return info.value


# -- client requests ----------------------------------------------------------------------------


def _client(contents: list[Any], **body: Any) -> ChatRequest:
    return GEMINI.decode_request({"contents": contents, **body})


def test_malformed_client_requests_name_the_field() -> None:
    text = {"role": "user", "parts": [{"text": "hi"}]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"contents": []}, "contents"),
        ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "contents[0].role"),
        ({"contents": [{"role": "user", "parts": []}]}, "contents[0].parts"),
        ({"contents": [{"parts": [{"executableCode": {"code": "1"}}]}]}, "contents[0].parts[0]"),
        ({"contents": [{"parts": [{"functionCall": {"name": "f"}}]}]}, "contents[0]"),
        ({"contents": [text, {"parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}, "contents[1]"),
        ({"contents": [text], "generationConfig": {"candidateCount": 2}}, "generationConfig.candidateCount"),
        ({"contents": [text], "tools": [{"functionDeclarations": [{"description": "x"}]}]}, "tools[0].functionDeclarations[0]"),
    ]  # fmt: skip
    for body, param in cases:
        _refused(lambda body=body: GEMINI.decode_request(body), param)


def test_same_name_calls_are_answered_in_order() -> None:
    calls = [{"functionCall": {"name": "f", "args": {"n": i}}} for i in range(2)]
    answers = [{"functionResponse": {"name": "f", "response": {"n": i}}} for i in range(2)]
    request = _client(
        [{"parts": [{"text": "go"}]}, {"role": "model", "parts": calls}, {"parts": answers}]
    )
    assert [(m.role, m.tool_call_id, m.text()) for m in request.messages[2:]] == [
        ("tool", "call_0", '{"n":0}'),
        ("tool", "call_1", '{"n":1}'),
    ]


def test_thinking_level_and_dynamic_budget() -> None:
    level = _client(
        [{"parts": [{"text": "x"}]}], generationConfig={"thinkingConfig": {"thinkingLevel": "LOW"}}
    )
    assert level.reasoning == Reasoning(effort="low")
    dynamic = {"thinkingConfig": {"thinkingBudget": -1, "includeThoughts": True}}
    assert _client([{"parts": [{"text": "x"}]}], generationConfig=dynamic).reasoning == Reasoning()
    assert (
        _client([{"parts": [{"text": "x"}]}], generationConfig={"thinkingConfig": {}}).reasoning
        is None
    )
    # google-genai sends thinkingConfig's own keys in snake_case
    sdk = {"thinkingConfig": {"thinking_budget": 1024, "include_thoughts": True}}
    assert _client([{"parts": [{"text": "x"}]}], generationConfig=sdk).reasoning == Reasoning(
        budget_tokens=1024
    )


# -- streams ------------------------------------------------------------------------------------

EVENTS: list[StreamEvent] = [
    StreamStart("resp-1", "gemini-2.5-pro"),
    ReasoningDelta("Think"),
    ReasoningDelta("ing."),
    ReasoningDelta("", "c2lnLWE="),
    TextDelta("Calling "),
    TextDelta("tools."),
    ReasoningDelta("", "c2lnLWI="),
    ToolCallDelta(0, "", "call_0", "f"),
    ToolCallDelta(1, '{"b":', "call_xyz", "g"),
    ToolCallDelta(0, '{"a":'),
    ToolCallDelta(0, "1}"),
    ToolCallDelta(1, "2}"),
    StreamFinish(FinishReason.TOOL_CALLS, "tool_calls"),
    UsageReport(Usage(10, 30, 40, 4, 20)),
]


def _encoded(events: list[StreamEvent]) -> bytes:
    encoder = GEMINI.stream_encoder(ChatRequest("gemini-2.5-pro", (USER,), stream=True))
    assert encoder.content_type == "text/event-stream"
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


def test_stream_encoder_round_trip() -> None:
    wire = _encoded(EVENTS)
    assert b"[DONE]" not in wire
    assert merge_text(decode_split(GeminiStreamDecoder, wire, [])) == [
        StreamStart("resp-1", "gemini-2.5-pro"),
        ReasoningDelta("Thinking."),
        ReasoningDelta("", "c2lnLWE="),
        TextDelta("Calling tools."),
        # a signature held before a call goes on its functionCall part: it reads back as the
        # call's own signature
        ToolCallDelta(0, '{"a":1}', "call_0", "f", "c2lnLWI="),
        ToolCallDelta(1, '{"b":2}', "call_xyz", "g"),
        StreamFinish(FinishReason.TOOL_CALLS, "STOP"),
        UsageReport(Usage(10, 30, 40, 4, 20)),
    ]


def test_stream_encoder_output_parses_in_the_sdk() -> None:
    chunks = [
        types.GenerateContentResponse.model_validate(orjson.loads(frame[6:]))
        for frame in _encoded(EVENTS).split(b"\n\n")[:-1]
    ]
    calls = [c for chunk in chunks for c in chunk.function_calls or []]
    assert [(c.name, c.args, c.id) for c in calls] == [
        ("f", {"a": 1}, None),
        ("g", {"b": 2}, "call_xyz"),
    ]
    assert "".join(chunk.text or "" for chunk in chunks) == "Calling tools."
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata and last.usage_metadata.thoughts_token_count == 20
    assert last.usage_metadata.candidates_token_count == 10
    assert (last.response_id, last.model_version) == ("resp-1", "gemini-2.5-pro")


def test_stream_encoder_error_and_empty_stream() -> None:
    encoder = GEMINI.stream_encoder(ChatRequest("m", (USER,), stream=True))
    head = encoder.encode(StreamStart("r", "m")) + encoder.encode(TextDelta("par"))
    wire = head + encoder.error(GatewayError(429, "slow down", headers=[("retry-after", "3")]))
    decoder = GeminiStreamDecoder("cloverleaf")
    assert decoder.feed(wire) == [StreamStart("r", "m"), TextDelta("par")]
    with pytest.raises(GatewayError) as info:
        decoder.close()
    assert (info.value.status, info.value.headers) == (429, (("retry-after", "3"),))
    assert GEMINI.stream_encoder(ChatRequest("m", (USER,))).close() == b""


def test_response_for_gemini_client_parses_in_the_sdk() -> None:
    message = Message(
        "assistant",
        (ReasoningPart("hmm"), TextPart("It is ")),
        (ToolCall("call_0", "f", '{"x":1}'),),
    )
    response = ChatResponse("r1", "gpt-4o", message, FinishReason.TOOL_CALLS, Usage(3, 5, 8, 0, 2))
    parsed = types.GenerateContentResponse.model_validate(
        orjson.loads(GEMINI.encode_response(response))
    )
    assert parsed.function_calls and parsed.function_calls[0].args == {"x": 1}
    assert parsed.candidates and parsed.candidates[0].finish_reason == types.FinishReason.STOP
    assert parsed.usage_metadata and parsed.usage_metadata.candidates_token_count == 3


def test_prompt_block_in_a_stream() -> None:
    chunk = {"promptFeedback": {"blockReason": "OTHER"}, "usageMetadata": {"promptTokenCount": 4}}
    events = decode_split(GeminiStreamDecoder, b"data: " + orjson.dumps(chunk) + b"\n\n", [])
    assert events[1:] == [
        StreamFinish(FinishReason.CONTENT_FILTER, "OTHER"),
        UsageReport(Usage(4, 0, 4)),
    ]


def test_unreadable_stream_chunk_is_a_502() -> None:
    with pytest.raises(GatewayError) as info:
        GeminiStreamDecoder().feed(b"data: {oops\n\n")
    assert info.value.status == 502
