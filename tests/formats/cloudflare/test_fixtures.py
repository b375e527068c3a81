"""The native Workers AI dialect against hand-written fixture folders (openai-compatible.md).

Each case folder holds some of these pairs; every pair present is checked:
- `openai_request.json` → core (OpenAI decoder) → `cloudflare_request.json` (the run body)
- `cloudflare_response.json` (v4 envelope) → core → `openai_response.json` (an OpenAI client's)
- `cloudflare_stream.sse` → core events, split at every byte → `stream_events.json`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.cloudflare import CloudflareRunDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json

OPENAI: ChatDialect = OpenAIChatDialect()
CLOUDFLARE: ChatDialect = CloudflareRunDialect()
FIXTURES = Path(__file__).parent / "fixtures"


def cases(*names: str) -> list[Any]:
    """Case folders holding every named file, as pytest params named after the folder."""
    found = sorted(
        d for d in FIXTURES.iterdir() if d.is_dir() and all((d / n).exists() for n in names)
    )
    return [pytest.param(d, id=d.name) for d in found]


def test_every_case_is_used() -> None:
    assert len(cases("openai_request.json", "cloudflare_request.json")) >= 6
    assert len(cases("cloudflare_response.json", "openai_response.json")) >= 6
    assert len(cases("cloudflare_stream.sse", "stream_events.json")) >= 4


@pytest.mark.parametrize("case", cases("openai_request.json", "cloudflare_request.json"))
def test_openai_request_to_native_body(case: Path) -> None:
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    body = CLOUDFLARE.encode_request(core, "@cf/meta/llama-3.1-8b-instruct")
    assert orjson.loads(orjson.dumps(body)) == load_json(case / "cloudflare_request.json")


@pytest.mark.parametrize("case", cases("cloudflare_response.json", "openai_response.json"))
def test_envelope_to_openai_response(case: Path) -> None:
    core = CLOUDFLARE.decode_response((case / "cloudflare_response.json").read_bytes())
    answer = orjson.loads(OPENAI.encode_response(core))
    assert answer == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("cloudflare_stream.sse", "stream_events.json"))
def test_stream_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "cloudflare_stream.sse").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events = decode_split(CLOUDFLARE.stream_decoder, stream, cuts)
        assert to_json(merge_text(events)) == expected, cuts
