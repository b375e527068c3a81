"""The five core gaps across dialects, where a fixture folder cannot show it: streams built from
core events, refusals, error headers and naming rules. Fixture folders cover the rest:
anthropic/document_signature, gemini/signature_document, bedrock_converse/document_redacted,
anthropic/cache_usage, anthropic/thinking (redacted stream) and gemini/tools (signed calls)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    DocumentPart,
    FinishReason,
    Message,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamStart,
    TextPart,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.anthropic.call_ids import decode_call_id, encode_call_id
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect
from cloverleaf.formats.bedrock_converse.documents import document_name
from cloverleaf.formats.cloudflare.dialect import CloudflareRunDialect
from cloverleaf.formats.cohere.dialect import CohereDialect
from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.formats.ollama.dialect import OllamaDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from tests.formats.fixtures import decode_split

OPENAI: ChatDialect = OpenAIChatDialect()
ANTHROPIC: ChatDialect = AnthropicDialect()
GEMINI: ChatDialect = GeminiDialect()
BEDROCK: ChatDialect = BedrockConverseDialect("bedrock")
SIGNATURE = "CiQB0e2Kb+/sig=="
PDF = DocumentPart("application/pdf", data="JVBERi0xLjQ=", filename="spec.pdf")
CALL_EVENTS: list[StreamEvent] = [
    StreamStart("r1", "m"),
    ReasoningDelta(redacted=True, data="opaque"),
    ToolCallDelta(0, '{"city":', "call_0", "get_weather", SIGNATURE),
    ToolCallDelta(0, '"Paris"}'),
]


def _encode(dialect: ChatDialect, events: list[StreamEvent]) -> bytes:
    encoder = dialect.stream_encoder(ChatRequest("m", (), stream=True))
    return b"".join(encoder.encode(e) for e in events) + encoder.close()


def _request(*parts: Any) -> ChatRequest:
    return ChatRequest("m", (Message("user", (TextPart("read"), *parts)),))


# -- gap 1: cache writes ----------------------------------------------------------------------


def test_cache_writes_keep_every_dialects_totals_right() -> None:
    usage = Usage(142, 10, 152, cached_tokens=100, cache_write_tokens=30)
    response = ChatResponse(
        "id", "m", Message("assistant", (TextPart("ok"),)), FinishReason.STOP, usage
    )
    ant = orjson.loads(ANTHROPIC.encode_response(response))["usage"]
    assert (ant["input_tokens"], ant["cache_read_input_tokens"]) == (12, 100)
    assert ant["cache_creation_input_tokens"] == 30
    br = orjson.loads(BEDROCK.encode_response(response))["usage"]
    assert (br["inputTokens"], br["cacheReadInputTokens"], br["cacheWriteInputTokens"]) == (
        12,
        100,
        30,
    )
    assert br["totalTokens"] == 152
    gem = orjson.loads(GEMINI.encode_response(response))["usageMetadata"]
    assert (gem["promptTokenCount"], gem["cachedContentTokenCount"]) == (142, 100)  # no write field
    oai = orjson.loads(OPENAI.encode_response(response))["usage"]
    assert oai["prompt_tokens"] == 142
    assert oai["prompt_tokens_details"] == {"cached_tokens": 100, "cache_write_tokens": 30}
    for dialect in (ANTHROPIC, BEDROCK, OPENAI):  # each reads back what it wrote
        assert dialect.decode_response(dialect.encode_response(response)).usage == usage


def test_openai_answers_without_cache_writes_keep_the_plain_shape() -> None:
    response = ChatResponse("id", "m", Message("assistant"), FinishReason.STOP, Usage(3, 1, 4, 2))
    usage = orjson.loads(OPENAI.encode_response(response))["usage"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 2}


# -- gap 2: thought signatures ----------------------------------------------------------------


def test_anthropic_call_ids_carry_the_signature_and_give_it_back() -> None:
    wire = encode_call_id("call_0", SIGNATURE)
    assert wire.startswith("call_0__tsig_") and set(wire) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
    )
    assert decode_call_id(wire) == ("call_0", SIGNATURE)
    assert encode_call_id("toolu_1", None) == "toolu_1"
    assert decode_call_id("toolu_1") == ("toolu_1", None)
    assert decode_call_id("odd__tsig_") == ("odd__tsig_", None)


def test_anthropic_stream_shows_the_signed_id_and_never_the_redacted_text() -> None:
    wire = _encode(ANTHROPIC, CALL_EVENTS)
    starts = [
        orjson.loads(line[6:])["content_block"]
        for line in wire.split(b"\n")
        if line.startswith(b"data: ") and b"content_block_start" in line
    ]
    assert starts[0] == {"type": "redacted_thinking", "data": "opaque"}
    assert starts[1]["id"] == encode_call_id("call_0", SIGNATURE)


def test_anthropic_signature_without_thinking_text_opens_an_empty_thinking_block() -> None:
    wire = _encode(ANTHROPIC, [StreamStart("r", "m"), ReasoningDelta("", "c2ln")])
    events = decode_split(ANTHROPIC.stream_decoder, wire, [])
    assert ReasoningDelta("", "c2ln") in events
    assert b'"type":"thinking","thinking":"","signature":""' in wire


def test_openai_streams_carry_the_signature_both_ways() -> None:
    wire = _encode(OPENAI, CALL_EVENTS)
    assert b'"extra_content":{"google":{"thought_signature":"CiQB0e2Kb+/sig=="}}' in wire
    assert b"opaque" not in wire  # redacted reasoning is never shown
    events = decode_split(OPENAI.stream_decoder, wire, [])
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls[0].signature == SIGNATURE and calls[1].signature is None


def test_gemini_stream_encoder_puts_the_call_signature_on_its_part() -> None:
    wire = _encode(GEMINI, CALL_EVENTS)
    assert b"opaque" not in wire
    chunk = orjson.loads(wire.split(b"\n\n")[0][6:])
    part = chunk["candidates"][0]["content"]["parts"][0]
    assert part == {
        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
        "thoughtSignature": SIGNATURE,
    }


def test_openai_upstreams_get_the_signature_in_history() -> None:
    call = ToolCall("call_0", "f", "{}", SIGNATURE)
    body = OPENAI.encode_request(ChatRequest("m", (Message("assistant", (), (call,)),)), "m")
    assert body["messages"][0]["tool_calls"][0]["extra_content"] == {
        "google": {"thought_signature": SIGNATURE}
    }


# -- gap 3: redacted reasoning ----------------------------------------------------------------


def test_redacted_reasoning_is_never_shown_to_other_dialects() -> None:
    message = Message("assistant", (ReasoningPart.redacted_block("opaque"), TextPart("hi")))
    response = ChatResponse("id", "m", message, FinishReason.STOP, Usage())
    for dialect in (OPENAI, GEMINI, CohereDialect(), OllamaDialect()):
        assert b"opaque" not in dialect.encode_response(response), dialect.name
    history = ChatRequest("m", (Message("user", (TextPart("q"),)), message))
    for dialect in (OPENAI, GEMINI, CohereDialect(), OllamaDialect()):
        assert "opaque" not in orjson.dumps(dialect.encode_request(history, "m")).decode()
    assert ANTHROPIC.encode_request(history, "m")["messages"][1]["content"][0] == {
        "type": "redacted_thinking",
        "data": "opaque",
    }
    assert BEDROCK.encode_request(history, "m")["messages"][1]["content"][0] == {
        "reasoningContent": {"redactedContent": "opaque"}
    }


def test_bedrock_stream_encoder_writes_each_redacted_block_alone() -> None:
    events: list[StreamEvent] = [
        StreamStart("", ""),
        ReasoningDelta(redacted=True, data="one"),
        ReasoningDelta(redacted=True, data="two"),
        UsageReport(Usage(1, 1, 2)),
    ]
    decoded = decode_split(BEDROCK.stream_decoder, _encode(BEDROCK, events), [])
    assert [e for e in decoded if isinstance(e, ReasoningDelta)] == events[1:3]


# -- gap 4: Bedrock error header --------------------------------------------------------------


class _Headers:
    def __init__(self, **values: str) -> None:
        self._values = {k.lower().replace("_", "-"): v for k, v in values.items()}

    def header(self, name: str) -> str | None:
        return self._values.get(name.lower())


def test_bedrock_reads_the_exception_from_the_error_type_header() -> None:
    body = b'{"message":"Too many requests"}'
    raw = "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/"
    error = BEDROCK.parse_error(400, body, "bedrock", headers=_Headers(x_amzn_ErrorType=raw))
    assert (error.status, error.type, error.code) == (
        429,
        "rate_limit_error",
        "ThrottlingException",
    )
    assert error.message == "Too many requests"
    # without the header (or with an empty one), the body's __type still decides
    typed = b'{"message":"no","__type":"com.amazon.coral.service#AccessDeniedException"}'
    assert BEDROCK.parse_error(400, typed, "bedrock", headers=_Headers()).status == 403
    assert BEDROCK.parse_error(400, typed, "bedrock").status == 403


@pytest.mark.parametrize(
    "dialect",
    [OPENAI, ANTHROPIC, GEMINI, CohereDialect(), OllamaDialect(), CloudflareRunDialect()],
    ids=lambda d: d.name,
)
def test_every_dialect_accepts_headers(dialect: ChatDialect) -> None:
    error = dialect.parse_error(500, b"{}", "p", headers=_Headers(x_amzn_ErrorType="Throttling"))
    assert error.status >= 500


# -- gap 5: documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dialect", [CohereDialect(), OllamaDialect(), CloudflareRunDialect()], ids=lambda d: d.name
)
def test_dialects_without_documents_refuse_them_by_name(dialect: ChatDialect) -> None:
    with pytest.raises(GatewayError) as info:
        dialect.encode_request(_request(PDF), "m")
    assert (info.value.status, info.value.param) == (400, "messages[0].content[1]")


def test_openai_client_file_parts() -> None:
    def decode(file: dict[str, Any]) -> Any:
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": [{"type": "file", "file": file}]}],
        }
        return OPENAI.decode_request(body).messages[0].content[0]

    assert decode({"file_data": "JVBE", "filename": "a.pdf"}) == DocumentPart(
        "application/pdf", data="JVBE", filename="a.pdf"
    )
    for file, param in [
        ({"file_id": "file-1"}, "messages[0].content[0].file.file_id"),
        ({}, "messages[0].content[0].file"),
    ]:
        with pytest.raises(GatewayError) as info:
            decode(file)
        assert (info.value.status, info.value.param) == (400, param)


def test_document_urls_go_only_where_the_provider_fetches_them() -> None:
    by_url = DocumentPart("application/pdf", url="https://example.com/a.pdf")
    for dialect in (OPENAI, BEDROCK, GEMINI):
        with pytest.raises(GatewayError) as info:
            dialect.encode_request(_request(by_url), "m")
        assert info.value.param == "messages[0].content[1]", dialect.name
    block = ANTHROPIC.encode_request(_request(by_url), "m")["messages"][0]["content"][1]
    assert block == {"type": "document", "source": {"type": "url", "url": by_url.url}}
    stored = DocumentPart("application/pdf", url="gs://bucket/a.pdf")
    part = GEMINI.encode_request(_request(stored), "m")["contents"][0]["parts"][1]
    assert part == {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/a.pdf"}}


def test_types_a_provider_cannot_read_are_refused() -> None:
    sheet = DocumentPart("application/zip", data="UEsD")
    for dialect in (ANTHROPIC, BEDROCK):
        with pytest.raises(GatewayError) as info:
            dialect.encode_request(_request(sheet), "m")
        assert info.value.param == "messages[0].content[1]", dialect.name
    answer = Message("assistant", (PDF,))
    with pytest.raises(GatewayError):
        BEDROCK.encode_request(ChatRequest("m", (Message("user", (TextPart("q"),)), answer)), "m")


@pytest.mark.parametrize(
    ("filename", "taken", "expected"),
    [
        ("Q3 report.v2.pdf", set(), "Q3 report v2"),
        ("résumé (final) [v2].docx", set(), "r sum (final) [v2]"),
        ("  ..pdf", set(), "document"),
        (None, {"document"}, "document (2)"),
        ("a.pdf", {"a", "a (2)"}, "a (3)"),
    ],
)
def test_bedrock_document_names(filename: str | None, taken: set[str], expected: str) -> None:
    assert document_name(filename, taken) == expected and expected in taken
