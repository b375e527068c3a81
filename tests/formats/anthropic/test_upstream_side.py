"""Claude as the upstream: what `encode_request` must refuse, drop, clamp or convert, and how
answers and streams decode when they stray from the happy path."""

from __future__ import annotations

from typing import Any

import pytest

from cloverleaf.core.chat import (
    ChatRequest,
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
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.anthropic.streaming import AnthropicStreamDecoder
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split, every_split, merge_text

DIALECT = AnthropicDialect()
HI = (Message("user", (TextPart("hi"),)),)


def _body(**fields: Any) -> dict[str, Any]:
    return DIALECT.encode_request(ChatRequest(model="m", messages=HI, **fields), "claude-x")


def _openai(**fields: Any) -> dict[str, Any]:
    core = OpenAIChatDialect().decode_request(
        {"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields}
    )
    return DIALECT.encode_request(core, "claude-x")


@pytest.mark.parametrize(
    ("effort", "max_tokens", "expected_max", "budget"),
    [
        ("low", None, 4096 + 1024, 1024),
        ("medium", None, 4096 + 4096, 4096),
        ("high", None, 4096 + 16384, 16384),
        ("minimal", 3000, 3000, 1024),
        ("high", 5000, 5000, 4999),  # capped below an explicit max_tokens
        ("none", 300, 300, None),
    ],
)
def test_effort_becomes_a_thinking_budget(
    effort: str, max_tokens: int | None, expected_max: int, budget: int | None
) -> None:
    body = _body(reasoning=Reasoning(effort=effort), max_tokens=max_tokens)
    assert body["max_tokens"] == expected_max
    expected = {"type": "enabled", "budget_tokens": budget} if budget else None
    assert body.get("thinking") == expected


def test_an_explicit_budget_wins_over_the_effort() -> None:
    body = _body(reasoning=Reasoning(effort="low", budget_tokens=9000), max_tokens=20000)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 9000}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"reasoning": Reasoning(effort="low"), "max_tokens": 1024}, "max_tokens"),
        ({"reasoning": Reasoning(effort="extreme")}, "reasoning_effort"),
        ({"extra": {"n": 2}}, "n"),
        ({"extra": {"logprobs": True, "top_logprobs": 3}}, "logprobs"),
        ({"extra": {"top_logprobs": 3}}, "top_logprobs"),
        ({"extra": {"logit_bias": {"50256": -100}}}, "logit_bias"),
        ({"extra": {"modalities": ["text", "audio"]}}, "modalities"),
    ],
)
def test_parameters_that_would_change_the_answer_are_refused(
    fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(GatewayError) as info:
        _body(**fields)
    assert (info.value.status, info.value.param) == (400, param)


def test_harmless_parameters_are_dropped() -> None:
    body = _openai(
        seed=3,
        frequency_penalty=0.2,
        presence_penalty=0.1,
        n=1,
        store=True,
        service_tier="default",
        prediction={"type": "content", "content": "x"},
        stream=True,
        stream_options={"include_usage": True},
    )
    assert body == {
        "model": "claude-x",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "stream": True,
    }


@pytest.mark.parametrize(("given", "sent"), [(2.0, 1.0), (1.0, 1.0), (0.3, 0.3), (-1.0, 0.0)])
def test_temperature_is_clamped_to_anthropics_range(given: float, sent: float) -> None:
    assert _body(temperature=given)["temperature"] == sent


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (ImagePart(data="Qk0=", media_type="image/bmp"), "not image/bmp"),
        (ImagePart(url="ftp://example.com/a.png"), "http(s) or data:"),
        (ImagePart(url="file-abc123"), "http(s) or data:"),
    ],
)
def test_images_anthropic_cannot_take_are_refused_by_position(
    image: ImagePart, message: str
) -> None:
    messages = (Message("user", (TextPart("look"), image)),)
    with pytest.raises(GatewayError) as info:
        DIALECT.encode_request(ChatRequest(model="m", messages=messages), "claude-x")
    assert info.value.param == "messages[0].content[1]" and message in info.value.message


def test_history_shapes_anthropic_rejects_are_refused() -> None:
    picture = (Message("assistant", (ImagePart(url="https://x/y.png"),)),)
    orphan = (Message("tool", (TextPart("18C"),)),)
    for messages, param in [
        (picture, "messages[0].content[0]"),
        (orphan, "messages[0].tool_call_id"),
    ]:
        with pytest.raises(GatewayError) as info:
            DIALECT.encode_request(ChatRequest(model="m", messages=(*HI, *messages)), "x")
        assert info.value.param == param.replace("[0]", "[1]", 1)


def test_tool_results_open_their_turn_and_unsigned_reasoning_is_dropped() -> None:
    call = ToolCall("toolu_1", "f", "")
    messages = (
        *HI,
        Message(
            "assistant", (ReasoningPart("mine"), ReasoningPart.redacted_block("opaque")), (call,)
        ),
        Message("user", (TextPart("also this"),)),
        Message("tool", (TextPart('{"ok":1}'),), tool_call_id="toolu_1", is_error=True),
        Message("assistant"),  # empty: skipped, Anthropic rejects empty turns
    )
    body = DIALECT.encode_request(ChatRequest(model="m", messages=messages), "x")
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": '{"ok":1}',
                    "is_error": True,
                },
                {"type": "text", "text": "also this"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (ToolChoice("auto"), None, {"type": "auto"}),
        (ToolChoice("none"), False, {"type": "none"}),
        (ToolChoice("required"), True, {"type": "any"}),
        (
            ToolChoice("function", "f"),
            False,
            {"type": "tool", "name": "f", "disable_parallel_tool_use": True},
        ),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (None, None, None),
    ],
)
def test_tool_choice(choice: ToolChoice | None, parallel: bool | None, expected: Any) -> None:
    body = _body(tools=(Tool("f"),), tool_choice=choice, parallel_tool_calls=parallel)
    assert body.get("tool_choice") == expected
    assert body["tools"] == [{"name": "f", "input_schema": {"type": "object", "properties": {}}}]


def test_tool_choice_without_tools_is_not_sent() -> None:
    assert "tool_choice" not in _body(tool_choice=ToolChoice("required"))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("end_turn", FinishReason.STOP),
        ("stop_sequence", FinishReason.STOP),
        ("pause_turn", FinishReason.STOP),
        ("max_tokens", FinishReason.LENGTH),
        ("model_context_window_exceeded", FinishReason.LENGTH),
        ("tool_use", FinishReason.TOOL_CALLS),
        ("refusal", FinishReason.CONTENT_FILTER),
        ("something_new", FinishReason.STOP),
    ],
)
def test_stop_reasons(raw: str, reason: FinishReason) -> None:
    body = b'{"id":"msg_1","model":"m","content":[],"stop_reason":"%s","usage":{}}' % raw.encode()
    response = DIALECT.decode_response(body)
    assert (response.finish_reason, response.raw_finish_reason) == (reason, raw)


def test_unknown_blocks_in_an_answer_are_skipped() -> None:
    body = (
        b'{"id":"msg_1","model":"m","stop_reason":"end_turn","usage":{"input_tokens":3},"content":['
        b'{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},'
        b'{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},'
        b'{"type":"text","text":"Found it.","citations":[{"type":"web_search_result_location"}]}]}'
    )
    response = DIALECT.decode_response(body)
    assert response.message == Message("assistant", (TextPart("Found it."),))
    assert response.usage == Usage(3, 0, 3)


@pytest.mark.parametrize("body", [b"not json", b'{"type":"message"}', b'{"content":"text"}', b"[]"])
def test_unreadable_answers_are_502(body: bytes) -> None:
    with pytest.raises(GatewayError) as info:
        DIALECT.decode_response(body)
    assert (info.value.status, info.value.type) == (502, "api_error")


def _frame(name: str, data: str) -> bytes:
    return f"event: {name}\r\ndata: {data}\r\n\r\n".encode()


CUT_OFF = (
    _frame(
        "message_start",
        '{"type":"message_start","message":{"id":"msg_9","model":"m","usage":{"input_tokens":7,"cache_read_input_tokens":2,"output_tokens":1}}}',
    )
    + _frame(
        "content_block_start",
        '{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s","name":"web_search","input":{}}}',
    )
    + _frame(
        "content_block_delta",
        '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}',
    )
    + _frame("brand_new_event", '{"type":"brand_new_event"}')
    + _frame(
        "content_block_start",
        '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}',
    )
    + _frame(
        "content_block_delta",
        '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\": 1"}}',
    )
    + _frame(
        "content_block_delta",
        '{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{}}}',
    )
    + b": a comment line\r\n\r\n"
)


def test_a_cut_off_stream_still_reports_the_prompt_it_billed() -> None:
    """CRLF framing, server tools, unknown events; no message_delta ever arrives."""
    expected = [
        StreamStart("msg_9", "m"),
        ToolCallDelta(0, '{"a": 1', "toolu_1", "f"),
        UsageReport(Usage(9, 1, 10, 2)),
    ]
    for cuts in every_split(CUT_OFF):
        assert merge_text(decode_split(AnthropicStreamDecoder, CUT_OFF, cuts)) == expected, cuts


def test_thinking_signature_and_text_in_start_blocks() -> None:
    stream = (
        _frame(
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"pre","signature":""}}',
        )
        + _frame(
            "content_block_start",
            '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":"Hello"}}',
        )
        + _frame(
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"refusal"},"usage":{"output_tokens":2}}',
        )
    )
    assert decode_split(AnthropicStreamDecoder, stream, []) == [
        ReasoningDelta("pre"),
        TextDelta("Hello"),
        StreamFinish(FinishReason.CONTENT_FILTER, "refusal"),
        UsageReport(Usage(0, 2, 2)),
    ]
