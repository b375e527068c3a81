"""Errors, refusals, the client side, and encoder → decoder round trips of the native dialect."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.cloudflare import CloudflareRunDialect, run_path
from tests.formats.fixtures import decode_split, every_split, merge_text, to_json

DIALECT: ChatDialect = CloudflareRunDialect()
USER = (Message("user", (TextPart("hi"),)),)


def test_run_path_keeps_the_model_id_unencoded() -> None:
    path = run_path("0123abcd", "@cf/meta/llama-3.1-8b-instruct", stream=True)
    assert path == "/accounts/0123abcd/ai/run/@cf/meta/llama-3.1-8b-instruct"
    assert run_path("a", "@cf/x", stream=False) == "/accounts/a/ai/run/@cf/x"


def test_envelope_error_gives_status_first_message_and_code() -> None:
    body = b'{"result":null,"success":false,"errors":[{"code":7003,"message":"No route"},'
    body += b'{"code":7000,"message":"second"}],"messages":[]}'
    error = DIALECT.parse_error(404, body, "cloudflare")
    assert (error.status, error.message, error.code) == (404, "No route", "7003")
    assert error.provider == "cloudflare" and error.type == "not_found_error"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (b'{"error":{"message":"bad key","type":"auth","code":"k"}}', "bad key", "k"),
        (b"upstream exploded", "upstream exploded", None),
        (b"", "upstream returned HTTP 500", None),
    ],
)
def test_non_envelope_errors_still_read(body: bytes, message: str, code: str | None) -> None:
    error = DIALECT.parse_error(500, body, "cloudflare")
    assert (error.status, error.message, error.code) == (500, message, code)


def test_unsuccessful_envelope_in_a_200_raises() -> None:
    body = b'{"result":null,"success":false,"errors":[{"code":3040,"message":"capacity"}]}'
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_response(body)
    assert (caught.value.status, caught.value.message, caught.value.code) == (
        502,
        "capacity",
        "3040",
    )
    with pytest.raises(GatewayError):
        DIALECT.decode_response(b"not json")


def test_openai_shaped_result_inside_the_envelope() -> None:
    result = {
        "id": "chatcmpl-1",
        "model": "@cf/openai/gpt-oss-20b",
        "choices": [{"message": {"role": "assistant", "content": "hey"}, "finish_reason": "stop"}],
    }
    body = orjson.dumps({"result": result, "success": True, "errors": [], "messages": []})
    core = DIALECT.decode_response(body)
    assert core.message.text() == "hey" and core.id == "chatcmpl-1"


def test_image_part_is_refused_naming_the_part() -> None:
    message = Message("user", (TextPart("what is it"), ImagePart(url="https://x/y.png")))
    with pytest.raises(GatewayError) as caught:
        DIALECT.encode_request(ChatRequest("m", (USER[0], message)), "@cf/m")
    assert caught.value.status == 400
    assert caught.value.param == "messages[1].content[1]"
    assert "messages[1].content[1]" in caught.value.message


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"stop": ("END",)}, "stop"),
        ({"tool_choice": ToolChoice("required")}, "tool_choice"),
        ({"tool_choice": ToolChoice("function", "f")}, "tool_choice"),
        ({"reasoning": Reasoning(effort="high")}, "reasoning_effort"),
        ({"reasoning": Reasoning(budget_tokens=2048)}, "reasoning_effort"),
        ({"reasoning": Reasoning()}, "reasoning_effort"),
    ],
)
def test_parameters_that_would_change_the_answer_are_refused(
    change: dict[str, Any], param: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        DIALECT.encode_request(replace(ChatRequest("m", USER), **change), "@cf/m")
    assert (caught.value.status, caught.value.param) == (400, param)


@pytest.mark.parametrize("off", [Reasoning(effort="none"), Reasoning(budget_tokens=0)])
def test_asking_for_no_reasoning_needs_nothing_and_passes(off: Reasoning) -> None:
    body = DIALECT.encode_request(replace(ChatRequest("m", USER), reasoning=off), "@cf/m")
    assert not any("reason" in key or "think" in key for key in body)


def test_tool_choice_none_drops_the_tools_and_extra_goes_only_to_its_own_dialect() -> None:
    request = ChatRequest("m", USER, tools=(Tool("f"),), tool_choice=ToolChoice("none"))
    request = replace(request, extra={"raw": True}, source="openai_chat")
    assert "tools" not in DIALECT.encode_request(request, "@cf/m")
    assert "raw" not in DIALECT.encode_request(request, "@cf/m")
    own = replace(request, source="cloudflare_run")
    assert DIALECT.encode_request(own, "@cf/m")["raw"] is True


@pytest.mark.parametrize(
    "payload",
    [
        b'{"errors":[{"code":3040,"message":"capacity"}]}',
        b'{"error":"capacity"}',
        b'{"error":{"message":"capacity","code":3040}}',
    ],
)
def test_in_band_stream_error_raises_after_earlier_events(payload: bytes) -> None:
    stream = b'data: {"response":"Hi","p":"x"}\n\ndata: ' + payload + b"\n\n"
    for cuts in every_split(stream):
        decoder = DIALECT.stream_decoder()
        events: list[StreamEvent] = []
        with pytest.raises(GatewayError) as caught:
            for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
                events.extend(decoder.feed(stream[start:end]))
            events.extend(decoder.close())
        assert caught.value.message == "capacity" and caught.value.status == 502
        assert to_json(merge_text(events)) == to_json([StreamStart("", ""), TextDelta("Hi")])


def test_client_side_native_bodies() -> None:
    prompt = DIALECT.decode_request({"prompt": "Hi", "max_tokens": 9, "raw": True})
    assert prompt.messages == (Message("user", (TextPart("Hi"),)),)
    assert prompt.max_tokens == 9 and prompt.extra == {"raw": True}
    body = {
        "messages": [
            {"role": "user", "content": "w?"},
            {"role": "assistant", "tool_calls": [{"name": "f", "arguments": {"a": 1}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "ok"},
        ],
        "tools": [{"name": "f", "description": "d", "parameters": {"type": "object"}}],
        "stream": True,
        "temperature": 0.1,
    }
    core = DIALECT.decode_request(body)
    assert core.stream and core.temperature == 0.1 and core.tools[0].description == "d"
    assert core.messages[1].tool_calls == (ToolCall("call_0", "f", '{"a":1}'),)
    assert core.messages[2].tool_call_id == "call_0"
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_request({"messages": []})
    assert caught.value.status == 400


def test_encode_response_and_render_error_make_envelopes() -> None:
    call = ToolCall("call_9", "f", '{"a":1}')
    response = ChatResponse(
        "id", "m", Message("assistant", (), (call,)), FinishReason.TOOL_CALLS, Usage(3, 2)
    )
    wire = orjson.loads(DIALECT.encode_response(response))
    assert wire == {
        "result": {
            "response": "",
            "tool_calls": [{"name": "f", "arguments": {"a": 1}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        },
        "success": True,
        "errors": [],
        "messages": [],
    }
    back = DIALECT.decode_response(DIALECT.encode_response(response))
    assert back.message.tool_calls == (replace(call, id="call_0"),)
    rendered = orjson.loads(DIALECT.render_error(GatewayError(429, "slow down", code="3040")))
    assert rendered == {
        "result": None,
        "success": False,
        "errors": [{"code": 3040, "message": "slow down"}],
        "messages": [],
    }
    assert DIALECT.parse_error(429, DIALECT.render_error(GatewayError(429, "x")), "p").code == "429"


def _encode_all(events: list[StreamEvent], error: GatewayError | None = None) -> bytes:
    encoder = DIALECT.stream_encoder(ChatRequest("m", USER, stream=True))
    assert encoder.content_type == "text/event-stream"
    out = b"".join(encoder.encode(e) for e in events)
    return out + (encoder.error(error) if error else encoder.close())


def test_stream_encoder_decoder_round_trip() -> None:
    usage = UsageReport(Usage(4, 3, 7))
    finish = StreamFinish(FinishReason.STOP)
    text: list[StreamEvent] = [
        StreamStart("", ""),
        TextDelta("Hel"),
        TextDelta("lo"),
        usage,
        finish,
    ]
    calls: list[StreamEvent] = [
        StreamStart("", ""),
        ToolCallDelta(0, '{"a":', "call_0", "f"),
        ToolCallDelta(0, "1}"),
        ToolCallDelta(1, "{}", "call_1", "g"),
        StreamFinish(FinishReason.TOOL_CALLS),
        usage,
    ]
    joined: list[StreamEvent] = [calls[0], ToolCallDelta(0, '{"a":1}', "call_0", "f"), *calls[3:]]
    for events, expected in ((text, text), (calls, joined)):
        stream = _encode_all(events)
        assert stream.endswith(b"data: [DONE]\n\n")
        for cuts in every_split(stream):
            decoded = decode_split(DIALECT.stream_decoder, stream, cuts)
            got = sorted(to_json(merge_text(decoded)), key=_order)
            assert got == sorted(to_json(merge_text(expected)), key=_order), cuts


def _order(event: dict[str, Any]) -> int:
    """Native streams carry usage before the synthesized finish: compare as sets of kinds."""
    return ["StreamStart", "TextDelta", "ToolCallDelta", "UsageReport", "StreamFinish"].index(
        event["type"]
    )


def test_stream_encoder_error_round_trips() -> None:
    stream = _encode_all([StreamStart("", ""), TextDelta("a")], GatewayError(503, "gone", code="7"))
    decoder = DIALECT.stream_decoder()
    assert to_json(decoder.feed(stream)) == to_json([StreamStart("", ""), TextDelta("a")])
    with pytest.raises(GatewayError) as caught:
        decoder.close()
    assert (caught.value.message, caught.value.code) == ("gone", "7")
