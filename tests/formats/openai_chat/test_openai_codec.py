"""The OpenAI dialect both ways, and its stream decoder at every byte boundary."""

from __future__ import annotations

from dataclasses import replace

import orjson

from cloverleaf.core.chat import (
    FinishReason,
    ImagePart,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.streaming import OpenAIStreamDecoder
from tests.formats.fixtures import decode_split, every_split, merge_text

DIALECT: ChatDialect = OpenAIChatDialect()

REQUEST = {
    "model": "gpt-4o",
    "messages": [
        {"role": "developer", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "look", "arguments": '{"x":1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
    ],
    "max_tokens": 50,
    "stop": "END",
    "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "look"}},
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "a", "schema": {"type": "object"}},
    },
    "logit_bias": {"1": 2},
}


def test_request_round_trip_keeps_meaning() -> None:
    core = replace(DIALECT.decode_request(REQUEST), source="openai_chat")  # as the pipeline does
    assert core.messages[0].role == "system"
    image = core.messages[1].content[1]
    assert isinstance(image, ImagePart) and image.media_type == "image/png" and image.data == "AAAA"
    assert core.max_tokens == 50 and core.stop == ("END",)
    assert core.extra == {"logit_bias": {"1": 2}}
    out = DIALECT.encode_request(core, "gpt-4o-2024-08-06")
    assert out["model"] == "gpt-4o-2024-08-06"
    assert out["messages"][1]["content"][1]["image_url"] == {
        "url": "data:image/png;base64,AAAA",
        "detail": "low",
    }
    assert out["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"x":1}'
    assert out["messages"][3] == {"role": "tool", "content": "a cat", "tool_call_id": "call_1"}
    assert out["tool_choice"] == REQUEST["tool_choice"]
    assert out["response_format"] == REQUEST["response_format"]
    assert out["logit_bias"] == {"1": 2} and out["max_completion_tokens"] == 50


def _chunk(choices: list[object], usage: object = None) -> bytes:
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 5,
        "model": "m",
        "choices": choices,
    }
    if usage is not None:
        body["usage"] = usage
    return b"data: " + orjson.dumps(body) + b"\n\n"


STREAM = (
    _chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}])
    + b": keep-alive\n\n"
    + _chunk([{"index": 0, "delta": {"content": "Hi "}}])
    + _chunk([{"index": 0, "delta": {"content": "there"}}])
    + _chunk(
        [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "f", "arguments": ""},
                        }
                    ]
                },
            }
        ]
    )
    + _chunk(
        [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}}]
    )
    + _chunk(
        [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}}]
    )
    + _chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])
    + _chunk([], {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})
    + b"data: [DONE]\n\n"
)
EXPECTED: list[StreamEvent] = [
    StreamStart("c1", "m", 5),
    TextDelta("Hi there"),
    ToolCallDelta(0, '{"a":1}', "call_9", "f"),
    StreamFinish(FinishReason.TOOL_CALLS, "tool_calls"),
    UsageReport(Usage(3, 4, 7)),
]


def test_stream_decodes_the_same_at_every_byte_boundary() -> None:
    for cuts in every_split(STREAM):
        assert merge_text(decode_split(OpenAIStreamDecoder, STREAM, cuts)) == EXPECTED, cuts


def test_stream_round_trip_through_the_encoder() -> None:
    request = DIALECT.decode_request(
        {**REQUEST, "stream": True, "stream_options": {"include_usage": True}}
    )
    encoder = DIALECT.stream_encoder(request)
    wire = b"".join(encoder.encode(e) for e in EXPECTED) + encoder.close()
    assert merge_text(decode_split(OpenAIStreamDecoder, wire, [])) == [
        StreamStart("c1", "gpt-4o", 5),
        *EXPECTED[1:4],
        UsageReport(Usage(3, 4, 7)),
    ]
    assert wire.endswith(b"data: [DONE]\n\n")


def test_crlf_split_between_cr_and_lf_keeps_events_whole() -> None:
    from cloverleaf.formats.sse import SseParser

    stream = b"event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n"
    for cut in range(1, len(stream)):
        parser = SseParser()
        events = parser.feed(stream[:cut]) + parser.feed(stream[cut:]) + parser.close()
        assert [(e.event, e.data) for e in events] == [("a", "1"), ("b", "2")], cut


def test_events_before_an_in_band_error_are_not_lost() -> None:
    import pytest

    from cloverleaf.core.errors import GatewayError

    error = b'data: {"error": {"message": "boom", "code": "overloaded"}}\n\n'
    text = _chunk([{"index": 0, "delta": {"content": "partial"}}])
    decoder = OpenAIStreamDecoder()
    events = decoder.feed(text + error)
    assert TextDelta("partial") in events
    with pytest.raises(GatewayError) as caught:
        decoder.close()
    assert caught.value.message == "boom" and caught.value.code == "overloaded"


def test_another_dialects_extra_fields_never_reach_an_openai_upstream() -> None:
    from cloverleaf.formats.anthropic.dialect import AnthropicDialect

    core = AnthropicDialect().decode_request(
        {
            "model": "m",
            "max_tokens": 10,
            "container": "cntr_1",
            "messages": [{"role": "user", "content": "hi"}],
        }
    )
    body = DIALECT.encode_request(core, "gpt-4o")
    assert "container" not in body
    assert body["messages"] == [{"role": "user", "content": "hi"}]
