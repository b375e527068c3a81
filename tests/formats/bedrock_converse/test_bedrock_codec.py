"""The Bedrock Converse dialect against its fixture folders.

Each `fixtures/<case>/` may hold: `openai_request.json` → (OpenAI decode, Bedrock encode) →
`converse_request.json`; `converse_response.json` → (Bedrock decode, OpenAI encode) →
`openai_response.json`; `stream.eventstream` → core events at every byte boundary →
`stream_events.json` (plus the error that ends the stream, if any).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import StreamEvent
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect
from cloverleaf.formats.bedrock_converse.errors import upstream_error
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.bedrock_converse.make_fixtures import FIXTURES, STREAM_FILE, build
from tests.formats.fixtures import every_split, load_json, merge_text, to_json

BEDROCK: ChatDialect = BedrockConverseDialect()
OPENAI: ChatDialect = OpenAIChatDialect()
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def _cases(*files: str) -> list[Any]:
    return [
        pytest.param(case, id=case.name)
        for case in CASES
        if all((case / name).exists() for name in files)
    ]


def test_every_case_has_a_stream_and_the_expected_cases_exist() -> None:
    names = {case.name for case in CASES}
    expected = {"text", "system", "multi_turn", "image", "tools", "tool_result", "reasoning"}
    assert expected | {"cache_usage", "errors", "stream_exception"} <= names
    assert all((case / STREAM_FILE).exists() for case in CASES if case.name != "errors")


@pytest.mark.parametrize("case", _cases("openai_request.json", "converse_request.json"))
def test_openai_request_encodes_to_converse(case: Path) -> None:
    core = OPENAI.decode_request(load_json(case / "openai_request.json"))
    body = BEDROCK.encode_request(core, core.model)
    assert body == load_json(case / "converse_request.json")
    assert "model" not in body  # the model id travels in the URL


@pytest.mark.parametrize("case", _cases("converse_response.json", "openai_response.json"))
def test_converse_response_decodes_to_openai(case: Path) -> None:
    core = BEDROCK.decode_response((case / "converse_response.json").read_bytes())
    assert orjson.loads(OPENAI.encode_response(core)) == load_json(case / "openai_response.json")


@pytest.mark.parametrize("case", _cases(STREAM_FILE))
def test_committed_stream_matches_the_generator(case: Path) -> None:
    assert (case / STREAM_FILE).read_bytes() == build(case), "run make_fixtures.py"


def decode_until_error(stream: bytes, cuts: list[int]) -> tuple[list[StreamEvent], Any]:
    """Like `decode_split`, but an in-band error ends the stream instead of the test."""
    decoder = BEDROCK.stream_decoder()
    events: list[StreamEvent] = []
    bounds = [0, *cuts, len(stream)]
    try:
        for start, end in itertools.pairwise(bounds):
            events.extend(decoder.feed(stream[start:end]))
        events.extend(decoder.close())
    except GatewayError as error:
        fields = {"status": error.status, "type": error.type, "code": error.code}
        return events, {**fields, "message": error.message}
    return events, None


@pytest.mark.parametrize("case", _cases(STREAM_FILE, "stream_events.json"))
def test_stream_decodes_the_same_at_every_byte_boundary(case: Path) -> None:
    stream = (case / STREAM_FILE).read_bytes()
    expected = load_json(case / "stream_events.json")
    for cuts in every_split(stream):
        events, error = decode_until_error(stream, cuts)
        assert to_json(merge_text(events)) == expected["events"], cuts
        assert error == expected.get("error"), cuts


@pytest.mark.parametrize("case", _cases(STREAM_FILE, "converse_response.json"))
def test_stream_and_response_agree(case: Path) -> None:
    """Streaming and non-streaming the same answer must give the client the same result."""
    response = BEDROCK.decode_response((case / "converse_response.json").read_bytes())
    events, _ = decode_until_error((case / STREAM_FILE).read_bytes(), [])
    text = "".join(getattr(e, "text", "") for e in events if type(e).__name__ == "TextDelta")
    assert text == response.message.text()
    assert to_json(events[-1]) == {"type": "UsageReport", "usage": to_json(response.usage)}


def _error_cases() -> list[Any]:
    return [pytest.param(c, id=c["name"]) for c in load_json(FIXTURES / "errors" / "cases.json")]


@pytest.mark.parametrize("case", _error_cases())
def test_upstream_errors_normalise(case: dict[str, Any]) -> None:
    """Without the `x-amzn-ErrorType` header (the contract's `parse_error` gets none) the body's
    `__type`/`code` names the exception; a caller holding the header passes it along."""
    body = case["body"].encode() if isinstance(case["body"], str) else orjson.dumps(case["body"])
    if "header" in case:
        error = upstream_error(case["status"], body, "bedrock", case["header"])
    else:
        error = BEDROCK.parse_error(case["status"], body, "bedrock")
    got = {"status": error.status, "type": error.type, "code": error.code}
    assert {**got, "message": error.message, "provider": error.provider} == case["expected"]


def test_tool_use_ids_survive_the_round_trip_through_an_openai_client() -> None:
    """Bedrock's toolUse → OpenAI tool_calls → the client's tool messages → Bedrock toolResult
    blocks answering the same toolUseIds, in one user turn after the assistant's toolUse turn."""
    answer = BEDROCK.decode_response((FIXTURES / "tools" / "converse_response.json").read_bytes())
    message = orjson.loads(OPENAI.encode_response(answer))["choices"][0]["message"]
    follow_up = {
        "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "messages": [
            *load_json(FIXTURES / "tools" / "openai_request.json")["messages"],
            message,
            *[
                {"role": "tool", "tool_call_id": call["id"], "content": f"result {n}"}
                for n, call in enumerate(message["tool_calls"])
            ],
        ],
        "tools": load_json(FIXTURES / "tools" / "openai_request.json")["tools"],
    }
    body = BEDROCK.encode_request(OPENAI.decode_request(follow_up), "anthropic.claude")
    assistant, results = body["messages"][1], body["messages"][2]
    original = load_json(FIXTURES / "tools" / "converse_response.json")
    assert assistant == original["output"]["message"]
    assert results == {
        "role": "user",
        "content": [
            {
                "toolResult": {
                    "toolUseId": block["toolUse"]["toolUseId"],
                    "content": [{"text": f"result {n}"}],
                }
            }
            for n, block in enumerate(assistant["content"][1:])
        ],
    }
