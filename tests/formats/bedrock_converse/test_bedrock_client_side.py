"""Serving Converse-speaking clients: decode their bodies, answer and stream in Converse, with
botocore's own parsers as the judge of what we write."""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

from typing import Any

import orjson
import pytest
from botocore.eventstream import EventStream, EventStreamError
from botocore.parsers import EventStreamJSONParser, create_parser
from botocore.session import get_session

from cloverleaf.core.chat import (
    ChatResponse,
    FinishReason,
    ImagePart,
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
    ToolChoice,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect
from cloverleaf.formats.bedrock_converse.errors import error_type_header
from cloverleaf.formats.bedrock_converse.eventstream import encode_message
from tests.formats.fixtures import merge_text

DIALECT = BedrockConverseDialect()
SERVICE = get_session().get_service_model("bedrock-runtime")
TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
CONVERSE_BODY: dict[str, Any] = {
    "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"text": "Weather in Paris?"},
                {"image": {"format": "png", "source": {"bytes": "iVBORw0KGgo="}}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {
                    "reasoningContent": {
                        "reasoningText": {"text": "Use the tool.", "signature": "s1"}
                    }
                },
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    }
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tooluse_1",
                        "content": [{"json": {"temp_c": 18}}],
                        "status": "error",
                    }
                },
                {"cachePoint": {"type": "default"}},
                {"text": "And tomorrow?"},
            ],
        },
    ],
    "inferenceConfig": {
        "maxTokens": 4096,
        "temperature": 0.5,
        "topP": 0.9,
        "stopSequences": ["END"],
    },
    "toolConfig": {
        "tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": TOOL_SCHEMA}}}],
        "toolChoice": {"tool": {"name": "get_weather"}},
    },
    "additionalModelRequestFields": {
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "top_k": 250,
        "anthropic_beta": ["x"],
    },
    "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1"},
    "outputConfig": {"effort": "high"},
}


def test_decode_request_reads_every_block() -> None:
    core = DIALECT.decode_request({**CONVERSE_BODY, "model": "claude", "stream": True})
    assert core.model == "claude" and core.stream
    assert [m.role for m in core.messages] == ["system", "user", "assistant", "tool", "user"]
    assert core.messages[1].content[1] == ImagePart(data="iVBORw0KGgo=", media_type="image/png")
    assert core.messages[2].content == (ReasoningPart("Use the tool.", "s1"),)
    assert core.messages[2].tool_calls == (
        ToolCall("tooluse_1", "get_weather", '{"city":"Paris"}'),
    )
    result = core.messages[3]
    assert (result.tool_call_id, result.is_error, result.text()) == (
        "tooluse_1",
        True,
        '{"temp_c":18}',
    )
    assert (core.max_tokens, core.temperature, core.top_p, core.stop) == (4096, 0.5, 0.9, ("END",))
    assert core.tool_choice == ToolChoice("function", "get_weather")
    assert core.reasoning == Reasoning(budget_tokens=2048) and core.top_k == 250
    assert core.extra == {
        "guardrailConfig": CONVERSE_BODY["guardrailConfig"],
        "additionalModelRequestFields": {"anthropic_beta": ["x"]},
        "outputConfig": {"effort": "high"},
    }


def test_a_converse_body_survives_the_round_trip_through_core() -> None:
    model = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    again = DIALECT.encode_request(DIALECT.decode_request(CONVERSE_BODY), model)
    expected = orjson.loads(orjson.dumps(CONVERSE_BODY))
    expected["system"] = [{"text": "You are terse."}]  # cache points have no core meaning
    del expected["messages"][2]["content"][1]
    expected["messages"][2]["content"][0]["toolResult"]["content"] = [{"text": '{"temp_c":18}'}]
    assert again == expected


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "messages"),
        ({"messages": [{"role": "system", "content": []}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": [{"document": {}}]}]}, "messages[0].content[0]"),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"image": {"format": "png", "source": {"s3Location": {}}}}],
                    }
                ]
            },
            "messages[0].content[0]",
        ),
        ({"messages": [{"role": "user", "content": []}], "inferenceConfig": []}, "inferenceConfig"),
    ],
)
def test_malformed_requests_are_400_naming_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GatewayError) as caught:
        DIALECT.decode_request(body)
    assert caught.value.status == 400 and caught.value.param == param


RESPONSE = ChatResponse(
    id="chatcmpl-1",
    model="gpt-4o",
    message=Message(
        "assistant",
        (
            ReasoningPart("think", "sig"),
            ReasoningPart.redacted_block("cmVkYWN0ZWQ="),
            TextPart("Hello"),
        ),
        (ToolCall("call_1", "get_weather", '{"city":"Paris"}'),),
    ),
    finish_reason=FinishReason.TOOL_CALLS,
    usage=Usage(prompt_tokens=100, completion_tokens=20, total_tokens=120, cached_tokens=60),
)


def test_encode_response_is_what_botocore_parses() -> None:
    body = DIALECT.encode_response(RESPONSE)
    parser = create_parser(SERVICE.metadata["protocol"])
    response = {"status_code": 200, "headers": {}, "body": body}
    parsed = parser.parse(response, SERVICE.operation_model("Converse").output_shape)
    assert parsed["stopReason"] == "tool_use"
    assert parsed["usage"] == {
        "inputTokens": 40,
        "outputTokens": 20,
        "totalTokens": 120,
        "cacheReadInputTokens": 60,
        "cacheWriteInputTokens": 0,
    }
    content = parsed["output"]["message"]["content"]
    assert content[0] == {
        "reasoningContent": {"reasoningText": {"text": "think", "signature": "sig"}}
    }
    assert content[2:] == [
        {"text": "Hello"},
        {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
    ]
    back = DIALECT.decode_response(body)
    assert back.message == RESPONSE.message and back.usage == RESPONSE.usage


def test_raw_stop_reasons_are_kept_when_bedrock_has_them() -> None:
    for raw, expected in (("guardrail_intervened", "guardrail_intervened"), ("stop", "end_turn")):
        response = ChatResponse("", "", Message("assistant"), FinishReason.STOP, Usage(), 0, raw)
        assert orjson.loads(DIALECT.encode_response(response))["stopReason"] == expected


EVENTS: list[StreamEvent] = [
    StreamStart("chatcmpl-1", "gpt-4o"),
    ReasoningDelta("think"),
    ReasoningDelta("", "sig"),
    TextDelta("Hel"),
    TextDelta("lo"),
    ToolCallDelta(0, "", "call_1", "get_weather"),
    ToolCallDelta(0, '{"city":'),
    ToolCallDelta(0, '"Paris"}'),
    ToolCallDelta(1, "{}", "call_2", "get_time"),
    StreamFinish(FinishReason.TOOL_CALLS, "tool_use"),
    UsageReport(Usage(10, 5, 15)),
]


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> list[bytes]:
        return [self._data[i : i + 7] for i in range(0, len(self._data), 7)]


def _botocore_events(data: bytes) -> list[dict[str, Any]]:
    shape = SERVICE.operation_model("ConverseStream").output_shape.members["stream"]
    return list(EventStream(_Raw(data), shape, EventStreamJSONParser(), "ConverseStream"))


def test_stream_encoder_writes_what_botocore_reads() -> None:
    encoder = DIALECT.stream_encoder(
        DIALECT.decode_request({"messages": [{"role": "user", "content": [{"text": "x"}]}]})
    )
    assert encoder.content_type == "application/vnd.amazon.eventstream"
    wire = b"".join(encoder.encode(e) for e in EVENTS) + encoder.close()
    events = _botocore_events(wire)
    assert [next(iter(e)) for e in events] == [
        "messageStart",
        *["contentBlockDelta"] * 2, "contentBlockStop",
        *["contentBlockDelta"] * 2, "contentBlockStop",
        "contentBlockStart", *["contentBlockDelta"] * 2, "contentBlockStop",
        "contentBlockStart", "contentBlockDelta", "contentBlockStop",
        "messageStop", "metadata",
    ]  # fmt: skip
    starts = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert [s["contentBlockIndex"] for s in starts] == [2, 3]  # blocks count text and reasoning
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}
    assert events[-1]["metadata"]["usage"]["totalTokens"] == 15
    decoded = DIALECT.stream_decoder().feed(wire)
    # Bedrock streams carry no id/model
    assert merge_text(decoded) == merge_text([StreamStart("", ""), *EVENTS[1:]])


def test_stream_errors_are_exception_frames_botocore_raises() -> None:
    encoder = DIALECT.stream_encoder(
        DIALECT.decode_request({"messages": [{"role": "user", "content": []}]})
    )
    wire = encoder.encode(TextDelta("partial")) + encoder.error(GatewayError(429, "slow down"))
    with pytest.raises(EventStreamError) as caught:
        _botocore_events(wire)
    assert caught.value.response["Error"] == {"Code": "throttlingException", "Message": "slow down"}
    decoder = DIALECT.stream_decoder()
    with pytest.raises(GatewayError) as again:
        decoder.feed(wire)
        decoder.close()
    assert (again.value.status, again.value.code) == (429, "ThrottlingException")


def test_generic_error_frames_and_unreadable_payloads_are_bad_gateways() -> None:
    error = encode_message(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"}, b""
    )
    with pytest.raises(GatewayError) as caught:
        DIALECT.stream_decoder().feed(error)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        502,
        "InternalFailure",
        "boom",
    )
    garbage = encode_message({":message-type": "event", ":event-type": "messageStart"}, b"{nope")
    with pytest.raises(GatewayError, match="unreadable"):
        DIALECT.stream_decoder().feed(garbage)


def test_render_error_names_the_exception_for_sdk_clients() -> None:
    error = GatewayError(429, "Too many requests", type="rate_limit_error")
    assert orjson.loads(DIALECT.render_error(error)) == {
        "message": "Too many requests",
        "__type": "ThrottlingException",
    }
    assert error_type_header(GatewayError(500, "x"))[1].startswith("InternalServerException:")
    keeps = GatewayError(403, "no", code="AccessDeniedException")
    assert orjson.loads(DIALECT.render_error(keeps))["__type"] == "AccessDeniedException"
