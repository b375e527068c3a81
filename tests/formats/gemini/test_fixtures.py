"""The Gemini dialect against hand-written fixture folders (`fixtures/<case>/`).

Each case holds any of these pairs; a test runs for every case that has both files:
`openai_request.json` → `gemini_request.json` (OpenAI client → Gemini upstream body),
`gemini_response.json` → `openai_response.json` (Gemini upstream → OpenAI client),
`gemini_response.json` → `client_response.json` (Gemini upstream → Gemini client),
`stream.sse` → `stream_events.json` (core events, at every byte boundary),
`client_request.json` → `core_request.json` / `client_upstream.json` (Gemini client → core →
Gemini upstream).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.formats.gemini.streaming import GeminiStreamDecoder
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split, every_split, load_json, merge_text, to_json

FIXTURES = Path(__file__).parent / "fixtures"
GEMINI = GeminiDialect()
OPENAI = OpenAIChatDialect()


def cases(*names: str) -> list[Any]:
    found = [
        pytest.param(case, id=case.name)
        for case in sorted(FIXTURES.iterdir())
        if case.is_dir() and all((case / name).is_file() for name in names)
    ]
    assert found, f"no fixture folder has {names}"
    return found


@pytest.mark.parametrize("case", cases("openai_request.json", "gemini_request.json"))
def test_openai_request_becomes_gemini_body(case: Path) -> None:
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    assert GEMINI.encode_request(core, core.model) == load_json(case / "gemini_request.json")


@pytest.mark.parametrize("case", cases("gemini_response.json", "openai_response.json"))
def test_gemini_response_becomes_openai_response(case: Path) -> None:
    core = GEMINI.decode_response((case / "gemini_response.json").read_bytes())
    assert orjson.loads(OPENAI.encode_response(core)) == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", cases("gemini_response.json", "client_response.json"))
def test_gemini_response_for_a_gemini_client(case: Path) -> None:
    core = GEMINI.decode_response((case / "gemini_response.json").read_bytes())
    assert orjson.loads(GEMINI.encode_response(core)) == load_json(case / "client_response.json")


@pytest.mark.parametrize("case", cases("stream.sse", "stream_events.json"))
def test_stream_decodes_the_same_at_every_byte_boundary(case: Path) -> None:
    stream = (case / "stream.sse").read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        assert to_json(merge_text(decode_split(GeminiStreamDecoder, stream, cuts))) == expected, (
            cuts
        )


@pytest.mark.parametrize("case", cases("stream.sse", "stream_events.json"))
def test_stream_fed_one_byte_at_a_time(case: Path) -> None:
    stream = (case / "stream.sse").read_bytes()
    events = decode_split(GeminiStreamDecoder, stream, list(range(1, len(stream))))
    assert to_json(merge_text(events)) == load_json(case / "stream_events.json")


@pytest.mark.parametrize("case", cases("client_request.json", "core_request.json"))
def test_gemini_client_request_to_core(case: Path) -> None:
    core = GEMINI.decode_request(load_json(case / "client_request.json"))
    assert to_json(core) == load_json(case / "core_request.json")


@pytest.mark.parametrize("case", cases("client_request.json", "client_upstream.json"))
def test_gemini_client_request_survives_the_trip_to_a_gemini_upstream(case: Path) -> None:
    core = GEMINI.decode_request(load_json(case / "client_request.json"))
    assert GEMINI.encode_request(core, core.model) == load_json(case / "client_upstream.json")


ERRORS = FIXTURES / "errors"


def _error_json(error: GatewayError) -> dict[str, Any]:
    return {
        "status": error.status,
        "message": error.message,
        "type": error.type,
        "code": error.code,
        "param": error.param,
        "headers": [list(h) for h in error.headers],
    }


@pytest.mark.parametrize(
    "case", load_json(ERRORS / "upstream_errors.json"), ids=lambda c: str(c["name"])
)
def test_upstream_error_bodies(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    error = GEMINI.parse_error(case["status"], raw, "gemini")
    assert _error_json(error) == case["expected"]
    assert error.provider == "gemini"


@pytest.mark.parametrize(
    "case", load_json(ERRORS / "rendered_errors.json"), ids=lambda c: str(c["name"])
)
def test_errors_rendered_for_gemini_clients(case: dict[str, Any]) -> None:
    spec = case["error"]
    retry = spec.get("retry_after")
    error = GatewayError(
        spec["status"],
        spec["message"],
        code=spec.get("code"),
        param=spec.get("param"),
        provider=spec.get("provider"),
        headers=[("Retry-After", retry)] if retry else [],
    )
    rendered = GEMINI.render_error(error)
    assert orjson.loads(rendered) == case["expected"]
    back = GEMINI.parse_error(error.status, rendered, "cloverleaf")
    assert (back.status, back.message, back.param) == (error.status, error.message, error.param)
    assert back.headers == ((("retry-after", retry),) if retry else ())


def test_in_band_stream_error_raises_at_every_byte_boundary() -> None:
    stream = (ERRORS / "stream.sse").read_bytes()
    expected = load_json(ERRORS / "stream_error.json")
    for cuts in every_split(stream):
        decoder = GeminiStreamDecoder("gemini")
        events = []
        with pytest.raises(GatewayError) as info:
            for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
                events.extend(decoder.feed(stream[start:end]))
            events.extend(decoder.close())
        assert to_json(merge_text(events)) == expected["events"], cuts
        error = info.value
        assert [error.status, error.message, error.type, error.code] == list(
            expected["error"].values()
        )
        assert error.provider == "gemini"
