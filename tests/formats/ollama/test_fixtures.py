"""The Ollama dialect against hand-written fixture folders (wire shapes from ollama.md).

Each case folder holds some of these pairs; every pair present is checked:
- `openai_request.json` → core (OpenAI decoder) → `ollama_request.json` (what Ollama receives)
- `ollama_response.json` → core → `openai_response.json` (what an OpenAI client gets)
- `ollama_stream.ndjson` → core events, split at every byte → `stream_events.json`
- `client_request.json` / `generate_request.json` (Ollama clients) → `client_core.json` /
  `generate_core.json`, and `client_request.json` → `openai_upstream_request.json`
- `openai_upstream_response.json` / `.sse` → core → the Ollama client's answer
  (`ollama_client_*`, `generate_client_*`)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import ChatRequest, StreamEvent
from cloverleaf.formats.base import ChatDialect, StreamEncoder
from cloverleaf.formats.ollama.dialect import OllamaDialect, OllamaGenerateDialect
from cloverleaf.formats.ollama.streaming import OllamaStreamDecoder
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.streaming import OpenAIStreamDecoder
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json
from tests.formats.ollama.cases import cases, core_json, ndjson

OPENAI: ChatDialect = OpenAIChatDialect()
OLLAMA: ChatDialect = OllamaDialect()
GENERATE: ChatDialect = OllamaGenerateDialect()


def _wire(body: dict[str, Any]) -> Any:
    """What actually goes on the wire (tuples become lists; non-JSON values would raise)."""
    return orjson.loads(orjson.dumps(body))


@pytest.mark.parametrize("case", cases("openai_request.json", "ollama_request.json"))
def test_openai_request_becomes_ollama_body(case: Path) -> None:
    expected = load_json(case / "ollama_request.json")
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    assert _wire(OLLAMA.encode_request(core, expected["model"])) == expected


@pytest.mark.parametrize("case", cases("ollama_response.json", "openai_response.json"))
def test_ollama_response_becomes_openai_response(case: Path) -> None:
    core = OLLAMA.decode_response((case / "ollama_response.json").read_bytes())
    assert orjson.loads(OPENAI.encode_response(core)) == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("ollama_stream.ndjson", "stream_events.json"))
def test_ollama_stream_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "ollama_stream.ndjson").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events = decode_split(OllamaStreamDecoder, stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts


@pytest.mark.parametrize("case", cases("client_request.json", "client_core.json"))
def test_ollama_client_chat_body_to_core(case: Path) -> None:
    core = OLLAMA.decode_request(load_json(case / "client_request.json"))
    assert core_json(core) == load_json(case / "client_core.json")


@pytest.mark.parametrize("case", cases("generate_request.json", "generate_core.json"))
def test_ollama_client_generate_body_to_core(case: Path) -> None:
    core = GENERATE.decode_request(load_json(case / "generate_request.json"))
    assert core_json(core) == load_json(case / "generate_core.json")


@pytest.mark.parametrize("case", cases("client_request.json", "openai_upstream_request.json"))
def test_ollama_client_served_by_openai_upstream(case: Path) -> None:
    expected = load_json(case / "openai_upstream_request.json")
    core = OLLAMA.decode_request(load_json(case / "client_request.json"))
    assert _wire(OPENAI.encode_request(core, expected["model"])) == expected


def _answers(case: Path) -> list[tuple[ChatDialect, str, str]]:
    """(client dialect, its request file, its prefix) for the clients this case answers."""
    pairs = [(OLLAMA, "client_request.json", "ollama_client"), (GENERATE, "generate_request.json", "generate_client")]  # fmt: skip
    return [(d, r, p) for d, r, p in pairs if (case / r).exists()]


@pytest.mark.parametrize("case", cases("openai_upstream_response.json"))
def test_openai_answer_encoded_for_ollama_clients(case: Path) -> None:
    core = OPENAI.decode_response((case / "openai_upstream_response.json").read_bytes())
    checked = 0
    for dialect, _, prefix in _answers(case):
        expected = case / f"{prefix}_response.json"
        if expected.exists():
            assert orjson.loads(dialect.encode_response(core)) == load_json(expected)
            checked += 1
    assert checked


def _encode_stream(encoder: StreamEncoder, events: list[StreamEvent]) -> bytes:
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


@pytest.mark.parametrize("case", cases("openai_upstream_stream.sse"))
def test_openai_stream_encoded_for_ollama_clients(case: Path) -> None:
    sse = (case / "openai_upstream_stream.sse").read_bytes()
    # one upstream read per event, as a live stream arrives: one Ollama line per token
    boundaries = [i + 2 for i in range(len(sse)) if sse.startswith(b"\n\n", i)]
    events = decode_split(OpenAIStreamDecoder, sse, boundaries[:-1])
    checked = 0
    for dialect, request_file, prefix in _answers(case):
        expected = case / f"{prefix}_stream.ndjson"
        if expected.exists():
            request: ChatRequest = dialect.decode_request(load_json(case / request_file))
            encoder = dialect.stream_encoder(request)
            assert encoder.content_type == "application/x-ndjson"
            assert ndjson(_encode_stream(encoder, events)) == ndjson(expected.read_bytes())
            checked += 1
    assert checked
