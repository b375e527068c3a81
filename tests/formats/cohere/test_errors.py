"""Errors both ways: Cohere bodies → GatewayError, GatewayError → `{"message"}`, and the
`message-end` error of a stream that already answered 200."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest, StreamEvent, StreamStart, TextDelta, ToolChoice
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.cohere.dialect import CohereDialect
from cloverleaf.formats.cohere.streaming import CohereStreamDecoder
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import every_split, load_json, merge_text

CASE = Path(__file__).parent / "fixtures" / "errors"
DIALECT: ChatDialect = CohereDialect()


def _fields(error: GatewayError) -> dict[str, Any]:
    return {k: getattr(error, k) for k in ("status", "message", "type", "code", "provider")}


@pytest.mark.parametrize(
    "case", load_json(CASE / "upstream_errors.json"), ids=lambda c: str(c["status"])
)
def test_upstream_error_bodies(case: dict[str, Any]) -> None:
    error = DIALECT.parse_error(case["status"], case["body"].encode(), "cohere")
    assert _fields(error) == case["expected"]


def test_rendered_error_is_a_flat_message() -> None:
    body = DIALECT.render_error(GatewayError(429, "slow down", type="rate_limit_error"))
    assert orjson.loads(body) == {"message": "slow down"}


def _decode_until_error(stream: bytes, cuts: list[int]) -> tuple[list[StreamEvent], GatewayError]:
    decoder = CohereStreamDecoder("cohere")
    events: list[StreamEvent] = []
    try:
        for start, end in itertools.pairwise([0, *cuts, len(stream)]):
            events.extend(decoder.feed(stream[start:end]))
        events.extend(decoder.close())
    except GatewayError as error:
        return events, error
    raise AssertionError("the stream's error was not raised")


def test_stream_error_raises_after_the_text_at_every_byte_boundary() -> None:
    stream = (CASE / "error_stream.sse").read_bytes()
    for cuts in every_split(stream):
        events, error = _decode_until_error(stream, cuts)
        assert merge_text(events) == [StreamStart("er-s", ""), TextDelta("Once upon")], cuts
        assert (error.status, error.message, error.provider) == (
            500,
            "internal generation failure",
            "cohere",
        )


def test_encoder_error_event_is_what_the_decoder_raises() -> None:
    encoder = DIALECT.stream_encoder(ChatRequest(model="m", messages=()))
    wire = encoder.encode(TextDelta("partial")) + encoder.error(GatewayError(504, "too slow"))
    events, error = _decode_until_error(wire, [])
    assert merge_text(events)[1:] == [TextDelta("partial")]
    assert (error.status, error.message) == (500, "too slow")


def test_malformed_response_is_a_502() -> None:
    with pytest.raises(GatewayError) as info:
        DIALECT.decode_response(b"<html>oops</html>")
    assert (info.value.status, info.value.provider) == (502, "cohere")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 2}, "n"),
        ({"logit_bias": {"1": 2}}, "logit_bias"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ],
)
def test_parameters_cohere_cannot_honour_are_refused(body: dict[str, Any], param: str) -> None:
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **body}
    core = OpenAIChatDialect().decode_request(request)
    with pytest.raises(GatewayError) as info:
        DIALECT.encode_request(core, "command-a")
    assert (info.value.status, info.value.param) == (400, param)


def test_tool_choice_auto_is_omitted() -> None:
    core = ChatRequest("m", (), tool_choice=ToolChoice("auto"))
    assert "tool_choice" not in DIALECT.encode_request(core, "command-a")
