"""Errors both ways: upstream bodies and in-band stream lines → GatewayError; malformed client
bodies → 400 naming the field; GatewayError → the `{"error": "text"}` Ollama clients parse."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest, ImagePart, Message, StreamEvent, TextPart
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.ollama.dialect import OllamaDialect, OllamaGenerateDialect
from cloverleaf.formats.ollama.streaming import OllamaStreamDecoder
from tests.formats.fixtures import every_split, load_json, merge_text, to_json
from tests.formats.ollama.cases import FIXTURES

ERRORS = FIXTURES / "errors"
DIALECT = OllamaDialect()


@pytest.mark.parametrize("case", load_json(ERRORS / "upstream_errors.json"))
def test_upstream_error_bodies(case: dict[str, Any]) -> None:
    error = DIALECT.parse_error(case["status"], case["body"].encode(), "ollama-local")
    got = {"status": error.status, "message": error.message, "type": error.type, "code": error.code}
    assert got == case["expected"] and error.provider == "ollama-local"


@pytest.mark.parametrize("case", load_json(ERRORS / "client_errors.json"))
def test_malformed_chat_bodies_name_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as info:
        DIALECT.decode_request(case["body"])
    assert (info.value.status, info.value.param) == (400, case["param"])


@pytest.mark.parametrize("case", load_json(ERRORS / "generate_errors.json"))
def test_malformed_generate_bodies_name_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as info:
        OllamaGenerateDialect().decode_request(case["body"])
    assert (info.value.status, info.value.param) == (400, case["param"])


def _until_error(stream: bytes, cuts: list[int]) -> tuple[list[StreamEvent], GatewayError]:
    decoder = OllamaStreamDecoder("ollama-local")
    events: list[StreamEvent] = []
    try:
        for start, end in itertools.pairwise([0, *cuts, len(stream)]):
            events.extend(decoder.feed(stream[start:end]))
        events.extend(decoder.close())
    except GatewayError as error:
        return events, error
    raise AssertionError("the error line did not raise")


def test_mid_stream_error_line_at_every_byte_boundary() -> None:
    """Text before the error line is delivered first, even when both arrive in one chunk."""
    stream = (ERRORS / "stream_error.ndjson").read_bytes()
    expected = load_json(ERRORS / "stream_error_events.json")
    for cuts in every_split(stream):
        events, error = _until_error(stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts
        assert (error.status, error.type, error.provider) == (502, "server_error", "ollama-local")
        assert error.message == "an error was encountered while running the model: unexpected EOF"


def test_nothing_after_an_error_line_is_decoded() -> None:
    decoder = OllamaStreamDecoder()
    line = b'{"model":"m","message":{"role":"assistant","content":"late"},"done":false}\n'
    with pytest.raises(GatewayError, match="boom"):
        decoder.feed(b'{"error":{"message":"boom"}}\n' + line)
    with pytest.raises(GatewayError, match="boom"):
        decoder.close()


def test_non_stream_body_with_error_or_garbage() -> None:
    with pytest.raises(GatewayError) as info:
        DIALECT.decode_response(b'{"error":"model runner has unexpectedly stopped"}')
    assert info.value.status == 502 and "unexpectedly stopped" in info.value.message
    for body in (b"not json", b"[]", b'{"model":"m","done":true}'):
        with pytest.raises(GatewayError) as info:
            DIALECT.decode_response(body)
        assert info.value.status == 502 and info.value.type == "server_error"


def test_render_error_is_a_bare_string() -> None:
    error = GatewayError(404, "model 'x' not found", type="not_found_error", code="model_not_found")
    assert orjson.loads(DIALECT.render_error(error)) == {"error": "model 'x' not found"}
    request = DIALECT.decode_request({"model": "m", "messages": [{"role": "user", "content": "a"}]})
    line = DIALECT.stream_encoder(request).error(GatewayError(502, "upstream died"))
    assert line == b'{"error":"upstream died"}\n'


def test_http_image_url_cannot_go_to_ollama() -> None:
    """Ollama has no image URLs and the gateway does not download: 400 naming the part."""
    image = ImagePart(url="https://example.com/cat.png")
    message = Message("user", (TextPart("what is this"), image))
    request = ChatRequest(model="llava", messages=(Message("system", (TextPart("hi"),)), message))
    with pytest.raises(GatewayError) as info:
        DIALECT.encode_request(request, "llava")
    error = info.value
    assert (error.status, error.param, error.code) == (
        400,
        "messages[1].content[1]",
        "unsupported_image_url",
    )
    assert "https://example.com/cat.png" in error.message
