"""Core answers rendered as Responses objects, read back by the `openai` SDK's own models."""

from __future__ import annotations

import orjson
from openai.types.responses import Response

from cloverleaf.core.chat import (
    ChatResponse,
    FinishReason,
    Message,
    ReasoningPart,
    TextPart,
    ToolCall,
)
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_responses.dialect import OpenAIResponsesDialect
from cloverleaf.formats.openai_responses.response import Echo, usage_from_responses
from cloverleaf.formats.openai_responses.tap import ResponsesUsageTap

USAGE = Usage(
    prompt_tokens=10, completion_tokens=7, total_tokens=17, cached_tokens=4, reasoning_tokens=3
)
ECHO = Echo.of(
    {"instructions": "be brief", "metadata": {"k": "v"}, "max_output_tokens": 40},
    1_700_000_000,
)


def _render(message: Message, finish: FinishReason = FinishReason.STOP) -> Response:
    answer = ChatResponse("msg_01", "claude-x", message, finish, USAGE)
    body = OpenAIResponsesDialect(ECHO).encode_response(answer)
    return Response.model_validate(orjson.loads(body))


def test_text_reasoning_and_usage() -> None:
    parsed = _render(Message("assistant", (ReasoningPart("thinking", "sig-1"), TextPart("Hi!"))))
    assert parsed.id == "resp_msg_01" and parsed.object == "response"
    assert parsed.status == "completed" and parsed.incomplete_details is None
    assert parsed.model == "claude-x" and parsed.created_at == 1_700_000_000
    assert parsed.instructions == "be brief" and parsed.metadata == {"k": "v"}
    assert parsed.max_output_tokens == 40 and parsed.to_dict()["store"] is False
    reasoning, message = parsed.output
    assert reasoning.type == "reasoning"
    assert [s.text for s in reasoning.summary] == ["thinking"]
    assert reasoning.encrypted_content == "sig-1"
    assert message.type == "message" and parsed.output_text == "Hi!"
    usage = parsed.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (10, 7, 17)
    assert usage.input_tokens_details.cached_tokens == 4
    assert usage.output_tokens_details.reasoning_tokens == 3


def test_tool_calls_are_function_call_items() -> None:
    calls = (ToolCall("call_1", "weather", '{"city":"Paris"}'), ToolCall("call_2", "time", "{}"))
    parsed = _render(Message("assistant", (), calls), FinishReason.TOOL_CALLS)
    assert parsed.status == "completed"
    assert [(o.type, o.call_id, o.name, o.arguments) for o in parsed.output] == [  # type: ignore[union-attr]
        ("function_call", "call_1", "weather", '{"city":"Paris"}'),
        ("function_call", "call_2", "time", "{}"),
    ]


def test_a_cut_answer_is_incomplete_with_the_reason() -> None:
    parsed = _render(Message("assistant", (TextPart("Hi"),)), FinishReason.LENGTH)
    assert parsed.status == "incomplete"
    assert parsed.incomplete_details is not None
    assert parsed.incomplete_details.reason == "max_output_tokens"
    filtered = _render(Message("assistant", (TextPart(""),)), FinishReason.CONTENT_FILTER)
    assert filtered.incomplete_details is not None
    assert filtered.incomplete_details.reason == "content_filter"


def test_usage_reads_back_from_the_wire() -> None:
    wire = {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 17,
    }
    assert usage_from_responses(wire) == USAGE


def test_the_tap_finds_usage_in_the_terminal_event_at_any_split() -> None:
    usage = {"input_tokens": 2, "output_tokens": 5, "total_tokens": 7}
    stream = (
        b'event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\n'
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
        b'"delta":"hi"}\n\n'
        b"event: response.completed\ndata: "
        + orjson.dumps({"type": "response.completed", "response": {"usage": usage}})
        + b"\n\n"
    )
    for cut in range(len(stream) + 1):
        tap = ResponsesUsageTap()
        tap.feed(stream[:cut])
        tap.feed(stream[cut:])
        tap.close()
        assert tap.usage == Usage(2, 5, 7), cut
        assert tap.events == 3
