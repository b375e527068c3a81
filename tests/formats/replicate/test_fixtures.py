"""The Replicate dialect against hand-written fixture folders (openai-compatible.md).

Each case folder holds some of these pairs; every pair present is checked:
- `openai_request.json` → core (OpenAI decoder) → `replicate_request.json` (the create body),
  for the model in `model.txt` (default `meta/meta-llama-3-70b-instruct`)
- `replicate_response.json` (a terminal prediction) → core → `openai_response.json`
- `replicate_stream.sse` → core events, split at every byte → `stream_events.json`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.replicate import ReplicateDialect
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json

OPENAI: ChatDialect = OpenAIChatDialect()
REPLICATE: ChatDialect = ReplicateDialect()
FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_MODEL = "meta/meta-llama-3-70b-instruct"


def cases(*names: str) -> list[Any]:
    found = sorted(
        d for d in FIXTURES.iterdir() if d.is_dir() and all((d / n).exists() for n in names)
    )
    return [pytest.param(d, id=d.name) for d in found]


def test_every_case_is_used() -> None:
    assert len(cases("openai_request.json", "replicate_request.json")) >= 5
    assert len(cases("replicate_response.json", "openai_response.json")) >= 3
    assert len(cases("replicate_stream.sse", "stream_events.json")) >= 2


@pytest.mark.parametrize("case", cases("openai_request.json", "replicate_request.json"))
def test_openai_request_to_create_body(case: Path) -> None:
    model_file = case / "model.txt"
    model = model_file.read_text().strip() if model_file.exists() else DEFAULT_MODEL
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    body = REPLICATE.encode_request(core, model)
    assert orjson.loads(orjson.dumps(body)) == load_json(case / "replicate_request.json")


@pytest.mark.parametrize("case", cases("replicate_response.json", "openai_response.json"))
def test_prediction_to_openai_response(case: Path) -> None:
    core = REPLICATE.decode_response((case / "replicate_response.json").read_bytes())
    answer = orjson.loads(OPENAI.encode_response(core))
    assert answer == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("replicate_stream.sse", "stream_events.json"))
def test_stream_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "replicate_stream.sse").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events = decode_split(REPLICATE.stream_decoder, stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts
