"""What the dialect writes for Anthropic clients, read back by the official `anthropic` SDK.

The mock upstream serves the bytes verbatim (`RawBody`), so the SDK's own SSE parsing and
stream accumulation judge the encoder: a recorded Anthropic stream and our re-encoding of its
events must accumulate to the same message.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
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
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.anthropic.streaming import AnthropicStreamDecoder
from tests.formats.fixtures import decode_split
from tests.mocks.anthropic_upstream import MockAnthropic, RawBody

FIXTURES = Path(__file__).parent / "fixtures"
DIALECT = AnthropicDialect()
REQUEST = ChatRequest(model="claude-mock", messages=())
USER: Any = [{"role": "user", "content": "hi"}]
SSE = "text/event-stream; charset=utf-8"


@pytest.fixture(scope="module")
def server() -> Iterator[MockAnthropic]:
    with MockAnthropic() as mock:
        yield mock


@pytest.fixture
def client(server: MockAnthropic) -> Iterator[anthropic.Anthropic]:
    server.reset()
    with anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=0) as c:
        yield c


def _final(
    mock: MockAnthropic, client: anthropic.Anthropic, wire: bytes
) -> anthropic.types.Message:
    mock.enqueue(RawBody(body=wire, content_type=SSE))
    with client.messages.stream(model="claude-mock", max_tokens=10, messages=USER) as stream:
        return stream.get_final_message()


def _encode(events: list[StreamEvent]) -> bytes:
    encoder = DIALECT.stream_encoder(REQUEST)
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


@pytest.mark.parametrize(
    "case", sorted(p.parent.name for p in FIXTURES.glob("*/anthropic_stream.sse"))
)
def test_reencoded_stream_accumulates_like_the_recording(
    server: MockAnthropic, client: anthropic.Anthropic, case: str
) -> None:
    recorded = (FIXTURES / case / "anthropic_stream.sse").read_bytes()
    original = _final(server, client, recorded)
    again = _final(server, client, _encode(decode_split(AnthropicStreamDecoder, recorded, [])))
    assert again.content == original.content
    assert (again.id, again.model, again.stop_reason) == (
        original.id,
        original.model,
        original.stop_reason,
    )
    usage, before = again.usage, original.usage
    assert (usage.output_tokens, usage.cache_read_input_tokens) == (
        before.output_tokens,
        before.cache_read_input_tokens,
    )
    # cache writes have their own core counter: they come back as they were recorded
    assert (usage.input_tokens, usage.cache_creation_input_tokens or 0) == (
        before.input_tokens,
        before.cache_creation_input_tokens or 0,
    )


def test_openai_style_events_become_a_valid_anthropic_stream(
    server: MockAnthropic, client: anthropic.Anthropic
) -> None:
    """An OpenAI upstream: unsigned reasoning, interleaved kinds, usage after the finish."""
    events: list[StreamEvent] = [
        StreamStart("chatcmpl-1", "gpt-4o", 5),
        ReasoningDelta("Think"),
        ReasoningDelta("ing."),
        TextDelta("Calling "),
        TextDelta("tools."),
        ToolCallDelta(0, "", "call_a", "get_weather"),
        ToolCallDelta(0, '{"city":'),
        ToolCallDelta(0, '"Paris"}'),
        ToolCallDelta(1, '{"tz":"CET"}', "call_b", "get_time"),
        StreamFinish(FinishReason.TOOL_CALLS, "tool_calls"),
        UsageReport(Usage(prompt_tokens=100, completion_tokens=20, cached_tokens=60)),
    ]
    final = _final(server, client, _encode(events))
    blocks = [b.to_dict() for b in final.content]
    assert blocks == [
        {"type": "thinking", "thinking": "Thinking.", "signature": ""},
        {"type": "text", "text": "Calling tools."},
        {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_b", "name": "get_time", "input": {"tz": "CET"}},
    ]
    assert (final.id, final.model, final.stop_reason) == ("chatcmpl-1", "gpt-4o", "tool_use")
    usage = final.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.output_tokens) == (40, 60, 20)


def test_stream_without_start_or_usage_is_still_complete(
    server: MockAnthropic, client: anthropic.Anthropic
) -> None:
    final = _final(server, client, _encode([TextDelta("hi")]))
    assert final.content[0].type == "text" and final.content[0].text == "hi"
    assert (final.model, final.stop_reason, final.usage.output_tokens) == (
        "claude-mock",
        "end_turn",
        0,
    )


def test_encoder_error_event_raises_in_the_sdk(
    server: MockAnthropic, client: anthropic.Anthropic
) -> None:
    encoder = DIALECT.stream_encoder(REQUEST)
    wire = encoder.encode(StreamStart("msg_1", "m")) + encoder.encode(TextDelta("par"))
    wire += encoder.error(GatewayError(429, "slow down", type="rate_limit_error"))
    server.enqueue(RawBody(body=wire, content_type=SSE))
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        client.messages.stream(model="claude-mock", max_tokens=10, messages=USER) as stream,
    ):
        stream.get_final_message()
    assert info.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "slow down"},
    }


@pytest.mark.parametrize(
    "case", sorted(p.parent.name for p in FIXTURES.glob("*/anthropic_response.json"))
)
def test_reencoded_response_parses_like_the_recording(
    server: MockAnthropic, client: anthropic.Anthropic, case: str
) -> None:
    recorded = (FIXTURES / case / "anthropic_response.json").read_bytes()
    answers = []
    for body in (recorded, DIALECT.encode_response(DIALECT.decode_response(recorded))):
        server.enqueue(RawBody(body=body))
        answers.append(client.messages.create(model="claude-mock", max_tokens=10, messages=USER))
    original, again = answers
    assert (again.content, again.stop_reason) == (original.content, original.stop_reason)
    assert again.usage.output_tokens == original.usage.output_tokens


def test_error_body_becomes_the_sdk_exception(
    server: MockAnthropic, client: anthropic.Anthropic
) -> None:
    body = DIALECT.render_error(GatewayError(529, "Overloaded", type="overloaded_error"))
    server.enqueue(RawBody(529, body))
    with pytest.raises(anthropic.OverloadedError) as info:
        client.messages.create(model="claude-mock", max_tokens=10, messages=USER)
    assert (info.value.type, info.value.api_message) == ("overloaded_error", "Overloaded")
