"""The token fast path reads exactly what a full parse of every chunk reads."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
import pytest

from cloverleaf.core.chat import StreamEvent, TextDelta
from cloverleaf.formats.openai_chat.streaming import OpenAIStreamDecoder
from cloverleaf.formats.openai_chat.token_template import TokenTemplate, strings, token_content
from cloverleaf.formats.sse import SseParser

TOKENS = ["Hel", "lo", ' "quoted"', "back\\slash", "é ü 中", "", "tab\there", "\\", '"', "end"]


def _chunk(delta: dict[str, Any], finish: str | None = None, chunk_id: str = "c1") -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return orjson.dumps({"id": chunk_id, "model": "m", "created": 1, "choices": [choice]})


def _stream(payloads: list[bytes]) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"


def _payloads() -> list[bytes]:
    out = [_chunk({"role": "assistant", "content": ""})]
    out += [_chunk({"content": t}) for t in TOKENS]
    out.append(_chunk({"content": "new id"}, chunk_id="c2"))  # the template no longer fits
    out.append(_chunk({"content": "again"}, chunk_id="c2"))
    # escapes another encoder might choose: the same text, other bytes
    out.append(
        b'{"id":"c2","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"\\u00e9\\/"},"logprobs":null,"finish_reason":null}]}'
    )
    out.append(_chunk({}, "stop", chunk_id="c2"))
    usage = {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}
    out.append(
        orjson.dumps({"id": "c2", "model": "m", "created": 1, "choices": [], "usage": usage})
    )
    return out


def _reference_text(payloads: list[bytes]) -> str:
    """What parsing every payload in full gives."""
    text = []
    for payload in payloads:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        for choice in chunk.get("choices") or ():
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, str):
                text.append(content)
    return "".join(text)


def _decode(stream: bytes, cuts: list[int]) -> list[StreamEvent]:
    decoder = OpenAIStreamDecoder()
    events: list[StreamEvent] = []
    for start, end in itertools.pairwise([0, *cuts, len(stream)]):
        events += decoder.feed(stream[start:end])
    return events + decoder.close()


def _text(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def _others(events: list[StreamEvent]) -> list[StreamEvent]:
    return [e for e in events if not isinstance(e, TextDelta)]


def test_one_read_equals_a_full_parse_of_every_chunk() -> None:
    payloads = _payloads()
    events = _decode(_stream(payloads), [])
    assert _text(events) == _reference_text(payloads)
    kinds = [type(e).__name__ for e in _others(events)]
    assert kinds == ["StreamStart", "StreamFinish", "UsageReport"]


def test_any_split_gives_the_same_text_and_events() -> None:
    stream = _stream(_payloads())
    whole = _decode(stream, [])
    for cut in range(1, len(stream)):
        events = _decode(stream, [cut])
        assert _text(events) == _text(whole), cut
        assert _others(events) == _others(whole), cut


@pytest.mark.parametrize(
    "literal",
    [
        b'"a\\"',  # ends in an escaped quote: not a whole literal
        b'"a","b"',  # two literals
        b'"a\x01b"',  # a raw control character: not JSON
        b'"a',  # unterminated
        b"5",  # not a string
    ],
)
def test_a_payload_that_only_looks_like_a_token_is_read_as_a_full_parse_would(
    literal: bytes,
) -> None:
    first = _chunk({"content": "ok"})
    template = TokenTemplate.learn(first, "ok")
    assert template is not None
    odd = template.prefix + literal + template.suffix
    payloads = [_chunk({"role": "assistant"}), first, odd, _chunk({"content": "!"})]
    assert _text(_decode(_stream(payloads), [])) == _reference_text(payloads)


def test_learning_needs_an_unambiguous_content_key() -> None:
    assert TokenTemplate.learn(_chunk({"content": "x"}), "x") is not None
    twice = b'{"content":"x","choices":[{"delta":{"content":"x"}}]}'
    assert TokenTemplate.learn(twice, "x") is None
    assert TokenTemplate.learn(_chunk({"content": "x"}), "y") is None


def test_only_pure_token_chunks_are_templates() -> None:
    assert token_content(orjson.loads(_chunk({"content": "x"}))) == "x"
    assert token_content(orjson.loads(_chunk({"content": "x", "role": "assistant"}))) is None
    assert token_content(orjson.loads(_chunk({"content": "x"}, "stop"))) is None
    assert token_content({"choices": [{"delta": {"content": "x"}}], "usage": None}) is None


def test_strings_drops_broken_literals_like_broken_payloads() -> None:
    assert strings([b'"a"', b'"b\x01"', b'"c"']) == ["a", "c"]
    assert strings([b'"\\u00e9"']) == ["é"]


def test_sse_fast_split_equals_block_parsing() -> None:
    plain = b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'
    mixed = b': keep-alive\n\ndata: {"a":1}\n\nevent: x\ndata: {"b":2}\n\ndata:{"c":3}\n\n'
    for body in (plain, mixed, plain.replace(b"\n", b"\r\n")):
        expected = [e.data.encode() for e in SseParser().feed(body) if e.data]
        assert SseParser().feed_data(body) == expected


def test_done_marks_the_decoder_finished() -> None:
    decoder = OpenAIStreamDecoder()
    decoder.feed(b"data: " + _chunk({"content": "x"}) + b"\n\n")
    assert not decoder.finished
    decoder.feed(b"data: [DONE]\n\n")
    assert decoder.finished
