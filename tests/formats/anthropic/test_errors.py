"""Errors both ways: upstream bodies → GatewayError, GatewayError → Anthropic bodies, and the
in-band `event: error` of a stream that already answered 200."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest, StreamEvent, TextDelta
from cloverleaf.core.errors import GatewayError, overloaded
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.anthropic.streaming import AnthropicStreamDecoder
from cloverleaf.formats.base import ChatDialect
from tests.formats.fixtures import every_split, load_json, merge_text, to_json

CASE = Path(__file__).parent / "fixtures" / "errors"
DIALECT: ChatDialect = AnthropicDialect()


def _fields(error: GatewayError) -> dict[str, Any]:
    keys = ("status", "message", "type", "code", "provider")
    return {k: getattr(error, k) for k in keys}


@pytest.mark.parametrize(
    "case", load_json(CASE / "upstream_errors.json"), ids=lambda c: str(c["status"])
)
def test_upstream_error_bodies(case: dict[str, Any]) -> None:
    error = DIALECT.parse_error(case["status"], case["body"].encode(), "anthropic")
    assert _fields(error) == case["expected"]


@pytest.mark.parametrize(
    "case", load_json(CASE / "rendered_errors.json"), ids=lambda c: str(c["status"])
)
def test_rendered_error_bodies(case: dict[str, Any]) -> None:
    error = GatewayError(case["status"], case["message"], type=case["type"])
    assert orjson.loads(DIALECT.render_error(error)) == case["body"]


def test_gateway_overload_renders_as_rate_limit() -> None:
    body = orjson.loads(DIALECT.render_error(overloaded("queue full")))
    assert body == {"type": "error", "error": {"type": "rate_limit_error", "message": "queue full"}}


def _decode_until_error(stream: bytes, cuts: list[int]) -> tuple[list[StreamEvent], GatewayError]:
    decoder = AnthropicStreamDecoder()
    events: list[StreamEvent] = []
    bounds = [0, *cuts, len(stream)]
    try:
        for start, end in itertools.pairwise(bounds):
            events.extend(decoder.feed(stream[start:end]))
        events.extend(decoder.close())
    except GatewayError as error:
        return events, error
    raise AssertionError("the stream's error event was not raised")


def test_stream_error_event_raises_at_every_byte_boundary() -> None:
    stream = (CASE / "error_stream.sse").read_bytes()
    expected = load_json(CASE / "stream_error.json")
    for cuts in every_split(stream):
        events, error = _decode_until_error(stream, cuts)
        assert to_json(merge_text(events)) == expected["before"], cuts
        assert _fields(error) == expected["error"], cuts


def test_stream_error_names_the_provider_and_tolerates_unknown_types() -> None:
    frame = b'event: error\ndata: {"type":"error","error":{"type":"brand_new_error"}}\n\n'
    with pytest.raises(GatewayError) as info:
        AnthropicStreamDecoder("anthropic").feed(frame)
    assert _fields(info.value) == {
        "status": 500,
        "message": "upstream stream error",
        "type": "brand_new_error",
        "code": None,
        "provider": "anthropic",
    }


def test_encoder_error_event_is_what_the_decoder_raises() -> None:
    encoder = DIALECT.stream_encoder(ChatRequest(model="m", messages=()))
    wire = encoder.encode(TextDelta("partial")) + encoder.error(GatewayError(504, "too slow"))
    frame = b'event: error\ndata: {"type":"error","error":{"type":"timeout_error","message":"too slow"}}\n\n'
    assert wire.endswith(frame)
    events, error = _decode_until_error(wire, [])
    assert merge_text(events)[1:] == [TextDelta("partial")]
    assert (error.status, error.type, error.message) == (504, "timeout_error", "too slow")
