"""Core model pieces behind cache writes, signatures, redacted reasoning and documents."""

from __future__ import annotations

from cloverleaf.core.chat import (
    DocumentPart,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextPart,
    ToolCallDelta,
    coalesce,
    first_document,
)
from cloverleaf.core.usage import Usage


def test_openai_usage_reads_both_cache_write_spellings() -> None:
    details = {"cached_tokens": 30, "cache_write_tokens": 12}
    ours = Usage.from_openai(
        {"prompt_tokens": 50, "completion_tokens": 5, "prompt_tokens_details": details}
    )
    litellm = Usage.from_openai(
        {"prompt_tokens": 50, "completion_tokens": 5, "cache_creation_input_tokens": 12}
    )
    assert ours == Usage(50, 5, 55, 30, 0, 12)
    assert litellm is not None and litellm.cache_write_tokens == 12
    assert Usage.from_openai({"prompt_tokens": 1}) == Usage(1, 0, 1)


def test_uncached_prompt_tokens_takes_out_reads_and_writes() -> None:
    assert Usage(50, 5, 55, cached_tokens=30, cache_write_tokens=12).uncached_prompt_tokens == 8
    assert Usage(5, cached_tokens=4, cache_write_tokens=4).uncached_prompt_tokens == 0


def test_coalesce_keeps_redacted_blocks_and_signed_calls_apart() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta("a"),
        ReasoningDelta(redacted=True, data="x"),
        ReasoningDelta(redacted=True, data="y"),
        ReasoningDelta("b"),
        ToolCallDelta(0, '{"a"', "call_0", "f", "sig"),
        ToolCallDelta(0, ":1}"),
    ]
    assert coalesce(list(events)) == [
        ReasoningDelta("a"),
        ReasoningDelta(redacted=True, data="x"),
        ReasoningDelta(redacted=True, data="y"),
        ReasoningDelta("b"),
        ToolCallDelta(0, '{"a":1}', "call_0", "f", "sig"),
    ]


def test_document_data_urls() -> None:
    part = DocumentPart.from_data_url("data:application/pdf;base64,JVBE", "a.pdf")
    assert part == DocumentPart("application/pdf", data="JVBE", filename="a.pdf")
    assert part.as_data_url() == "data:application/pdf;base64,JVBE"
    assert DocumentPart.from_data_url("https://example.com/a.pdf") is None


def test_first_document_names_where_it_sits() -> None:
    messages = (
        Message("user", (TextPart("hi"),)),
        Message("user", (TextPart("read"), DocumentPart("application/pdf", data="JVBE"))),
    )
    assert first_document(messages) == "messages[1].content[1]"
    assert first_document(messages[:1]) is None
