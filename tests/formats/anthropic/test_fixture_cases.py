"""Fixture folders (`fixtures/<case>/`) run through the Anthropic dialect, both directions.

Each file pair is one check, run for every case folder that has both files:
- `openai_request.json` → core (OpenAI dialect) → `anthropic_request.json` (upstream body)
- `anthropic_response.json` → core → `openai_response.json` (what an OpenAI client gets)
- `anthropic_stream.sse` → `stream_events.json`, at every byte boundary
- `client_request.json` (an Anthropic client body) → `client_core.json`, and re-encoded for an
  Anthropic upstream → `client_upstream.json`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.anthropic.streaming import AnthropicStreamDecoder
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json

FIXTURES = Path(__file__).parent / "fixtures"
DIALECT: ChatDialect = AnthropicDialect()
OPENAI: ChatDialect = OpenAIChatDialect()


def cases(*files: str) -> list[Any]:
    found = [
        pytest.param(d, id=d.name)
        for d in sorted(FIXTURES.iterdir())
        if d.is_dir() and all((d / f).is_file() for f in files)
    ]
    assert found, f"no fixture folder has {files}"
    return found


@pytest.mark.parametrize("case", cases("openai_request.json", "anthropic_request.json"))
def test_openai_request_becomes_anthropic_body(case: Path) -> None:
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    body = DIALECT.encode_request(core, core.model)
    assert body == load_json(case / "anthropic_request.json")


@pytest.mark.parametrize("case", cases("anthropic_response.json", "openai_response.json"))
def test_anthropic_response_reaches_openai_clients(case: Path) -> None:
    core = DIALECT.decode_response((case / "anthropic_response.json").read_bytes())
    assert orjson.loads(OPENAI.encode_response(core)) == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("anthropic_response.json"))
def test_anthropic_response_round_trips_for_anthropic_clients(case: Path) -> None:
    raw = load_json(case / "anthropic_response.json")
    out = orjson.loads(DIALECT.encode_response(DIALECT.decode_response(orjson.dumps(raw))))
    assert (out["id"], out["model"], out["stop_reason"]) == (
        raw["id"],
        raw["model"],
        raw["stop_reason"],
    )
    assert out["content"] == raw["content"]
    usage = raw["usage"]
    # cache writes and reads have their own core counters: all four come back as they were
    expected = {
        "input_tokens": usage["input_tokens"],
        "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
        "cache_read_input_tokens": usage["cache_read_input_tokens"],
        "output_tokens": usage["output_tokens"],
    }
    if "output_tokens_details" in usage:
        expected["output_tokens_details"] = usage["output_tokens_details"]
    assert out["usage"] == expected


@pytest.mark.parametrize("case", cases("anthropic_stream.sse", "stream_events.json"))
def test_stream_decodes_the_same_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "anthropic_stream.sse").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events = decode_split(AnthropicStreamDecoder, stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts


@pytest.mark.parametrize("case", cases("anthropic_stream.sse"))
def test_stream_encoder_output_decodes_to_the_same_events(case: Path) -> None:
    events = decode_split(AnthropicStreamDecoder, (case / "anthropic_stream.sse").read_bytes(), [])
    encoder = DIALECT.stream_encoder(ChatRequest(model="claude-x", messages=()))
    wire = b"".join(encoder.encode(e) for e in events) + encoder.close()
    assert wire.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert merge_text(decode_split(AnthropicStreamDecoder, wire, [])) == merge_text(events)


@pytest.mark.parametrize("case", cases("client_request.json", "client_core.json"))
def test_client_request_decodes_to_core(case: Path) -> None:
    core = DIALECT.decode_request(load_json(case / "client_request.json"))
    assert to_json(core) == load_json(case / "client_core.json")


@pytest.mark.parametrize("case", cases("client_request.json", "client_upstream.json"))
def test_client_request_survives_the_trip_to_an_anthropic_upstream(case: Path) -> None:
    core = DIALECT.decode_request(load_json(case / "client_request.json"))
    body = DIALECT.encode_request(core, "claude-upstream-id")
    assert body == load_json(case / "client_upstream.json")
