"""Our own encoders read back by our own decoders: what one side writes, the other must read.

The gateway can sit on both sides of an Ollama hop (Ollama client → gateway → Ollama server), so
each encoder/decoder pair must agree on every byte split and on every field Ollama can carry.
"""

from __future__ import annotations

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import StreamEncoder
from cloverleaf.formats.ollama.dialect import OllamaDialect, OllamaGenerateDialect
from cloverleaf.formats.ollama.streaming import OllamaStreamDecoder
from tests.formats.fixtures import decode_split, every_split, merge_text

DIALECT = OllamaDialect()
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

EVENTS: list[StreamEvent] = [
    StreamStart("chatcmpl-9", "upstream-model", 1717243200),
    ReasoningDelta("Think"),
    ReasoningDelta("ing…"),
    TextDelta("Héllo "),
    TextDelta("wörld 🌍"),
    ToolCallDelta(0, '{"city": ', "call_x", "get_weather"),
    ToolCallDelta(0, '"Oslo"}'),
    ToolCallDelta(1, "{}", "call_y", "get_time"),
    StreamFinish(FinishReason.TOOL_CALLS, "tool_calls"),
    UsageReport(Usage(11, 22, 33)),
]


def _encode(encoder: StreamEncoder, events: list[StreamEvent]) -> bytes:
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


def test_chat_stream_encoder_then_decoder_at_every_byte_boundary() -> None:
    request = ChatRequest(model="llama3.2", messages=(Message("user", (TextPart("hi"),)),))
    wire = _encode(DIALECT.stream_encoder(request), EVENTS)
    expected = [
        StreamStart("", "llama3.2", 1717243200),
        ReasoningDelta("Thinking…"),
        TextDelta("Héllo wörld 🌍"),
        ToolCallDelta(0, '{"city":"Oslo"}', "call_x", "get_weather"),
        ToolCallDelta(1, "{}", "call_y", "get_time"),
        StreamFinish(FinishReason.TOOL_CALLS, "stop"),
        UsageReport(Usage(11, 22, 33)),
    ]
    for cuts in every_split(wire):
        assert merge_text(decode_split(OllamaStreamDecoder, wire, cuts)) == expected, cuts


def test_generate_stream_encoder_then_decoder() -> None:
    request = OllamaGenerateDialect().decode_request({"model": "llama3.2", "prompt": "hi"})
    wire = _encode(OllamaGenerateDialect().stream_encoder(request), EVENTS)
    assert b'"tool_calls"' not in wire and b'"message"' not in wire
    for cuts in every_split(wire):
        assert merge_text(decode_split(OllamaStreamDecoder, wire, cuts)) == [
            StreamStart("", "llama3.2", 1717243200),
            ReasoningDelta("Thinking…"),
            TextDelta("Héllo wörld 🌍"),
            StreamFinish(FinishReason.STOP, "stop"),
            UsageReport(Usage(11, 22, 33)),
        ], cuts


def test_response_encoder_then_decoder() -> None:
    message = Message(
        "assistant",
        (ReasoningPart("why"), TextPart("Because.")),
        (ToolCall("call_0", "f", '{"x":[1,2]}'),),
    )
    response = ChatResponse("", "llama3.2", message, FinishReason.TOOL_CALLS, Usage(3, 4, 7), 99)
    assert DIALECT.decode_response(DIALECT.encode_response(response)) == ChatResponse(
        "", "llama3.2", message, FinishReason.TOOL_CALLS, Usage(3, 4, 7), 99, "stop"
    )


def test_upstream_body_read_back_as_a_client_body() -> None:
    """Everything Ollama can carry survives core → `/api/chat` body → core."""
    request = ChatRequest(
        model="llama3.2",
        messages=(
            Message("system", (TextPart("be brief"),)),
            Message("user", (TextPart("look"), ImagePart(data=PNG, media_type="image/png"))),
            Message(
                "assistant",
                (ReasoningPart("need tool"),),
                (ToolCall("call_0", "look", '{"at":"image"}'),),
            ),
            Message("tool", (TextPart("a cat"),), tool_call_id="call_0", name="look"),
        ),
        stream=True,
        max_tokens=50,
        temperature=0.5,
        top_p=0.9,
        top_k=40,
        stop=("END",),
        seed=7,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        tools=(Tool("look", "Look at something", {"type": "object", "properties": {}}),),
        response_format=ResponseFormat("json_schema", {"type": "object"}, "response"),
        reasoning=Reasoning(effort="high"),
        extra={"keep_alive": "1m", "options": {"num_ctx": 4096}},
    )
    body = DIALECT.encode_request(request, "llama3.2")
    assert DIALECT.decode_request(body) == request
