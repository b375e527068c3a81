"""Fixture folders (`fixtures/<case>/`) run through the Cohere dialect.

Each file pair is one check, run for every case folder that has both files:
- `openai_request.json` → core (OpenAI dialect) → `cohere_request.json` (upstream body)
- `cohere_response.json` → core → `openai_response.json` (what an OpenAI client gets)
- `cohere_stream.sse` → `stream_events.json`, at every byte boundary
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.cohere.dialect import CohereDialect
from cloverleaf.formats.cohere.streaming import CohereStreamDecoder
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json

FIXTURES = Path(__file__).parent / "fixtures"
DIALECT: ChatDialect = CohereDialect()
OPENAI: ChatDialect = OpenAIChatDialect()


def cases(*files: str) -> list[Any]:
    found = [
        pytest.param(d, id=d.name)
        for d in sorted(FIXTURES.iterdir())
        if d.is_dir() and all((d / f).is_file() for f in files)
    ]
    assert found, f"no fixture folder has {files}"
    return found


@pytest.mark.parametrize("case", cases("openai_request.json", "cohere_request.json"))
def test_openai_request_becomes_cohere_body(case: Path) -> None:
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    body = DIALECT.encode_request(core, core.model)
    assert body == load_json(case / "cohere_request.json")


@pytest.mark.parametrize("case", cases("cohere_response.json", "openai_response.json"))
def test_cohere_response_reaches_openai_clients(case: Path) -> None:
    core = DIALECT.decode_response((case / "cohere_response.json").read_bytes())
    assert orjson.loads(OPENAI.encode_response(core)) == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("cohere_stream.sse", "stream_events.json"))
def test_stream_decodes_the_same_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "cohere_stream.sse").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events = decode_split(CohereStreamDecoder, stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts


@pytest.mark.parametrize("case", cases("cohere_stream.sse"))
def test_stream_encoder_output_decodes_to_the_same_events(case: Path) -> None:
    events = decode_split(CohereStreamDecoder, (case / "cohere_stream.sse").read_bytes(), [])
    encoder = DIALECT.stream_encoder(ChatRequest(model="command-x", messages=()))
    wire = b"".join(encoder.encode(e) for e in events) + encoder.close()
    assert wire.endswith(b"data: [DONE]\n\n")
    assert merge_text(decode_split(CohereStreamDecoder, wire, [])) == merge_text(events)


@pytest.mark.parametrize("case", cases("cohere_response.json"))
def test_cohere_response_round_trips_for_cohere_clients(case: Path) -> None:
    raw = load_json(case / "cohere_response.json")
    again = DIALECT.decode_response(
        DIALECT.encode_response(DIALECT.decode_response(orjson.dumps(raw)))
    )
    assert again == DIALECT.decode_response(orjson.dumps(raw))
    out = orjson.loads(DIALECT.encode_response(again))
    assert (out["id"], out["finish_reason"]) == (raw["id"], raw["finish_reason"])
    assert out["message"].get("tool_calls") == raw["message"].get("tool_calls")
