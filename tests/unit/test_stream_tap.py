"""The SSE relay keeps bytes intact, reads usage, and hides only the usage event it added."""

from __future__ import annotations

import itertools

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.stream import SseUsageTap


def _event(payload: dict[str, object]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


CHUNKS = [
    _event({"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
    _event({"id": "c1", "choices": [{"index": 0, "delta": {"content": "Hel"}}], "usage": None}),
    _event({"id": "c1", "choices": [{"index": 0, "delta": {"content": "lo"}}], "usage": None}),
    _event({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
]
USAGE = _event(
    {
        "id": "c1",
        "choices": [],
        "usage": {
            "prompt_tokens": 7,
            "completion_tokens": 2,
            "total_tokens": 9,
            "prompt_tokens_details": {"cached_tokens": 3},
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
    }
)
DONE = b"data: [DONE]\n\n"
STREAM = b"".join(CHUNKS) + USAGE + DONE
EXPECTED_USAGE = Usage(7, 2, 9, cached_tokens=3, reasoning_tokens=1)


def _run(stream: bytes, cuts: list[int], hide: bool) -> tuple[bytes, Usage | None]:
    tap = SseUsageTap(hide_usage_event=hide)
    out = []
    bounds = [0, *cuts, len(stream)]
    for start, end in itertools.pairwise(bounds):
        out.append(tap.feed(stream[start:end]))
    out.append(tap.flush())
    return b"".join(out), tap.usage


def test_passes_stream_through_unchanged_and_reads_usage() -> None:
    relayed, usage = _run(STREAM, [], hide=False)
    assert relayed == STREAM
    assert usage == EXPECTED_USAGE


def test_hides_the_usage_event_the_gateway_asked_for() -> None:
    relayed, usage = _run(STREAM, [], hide=True)
    assert relayed == b"".join(CHUNKS) + DONE
    assert usage == EXPECTED_USAGE


def test_every_byte_boundary_gives_the_same_result() -> None:
    for hide in (False, True):
        expected = b"".join(CHUNKS) + (b"" if hide else USAGE) + DONE
        for cut in range(1, len(STREAM)):
            relayed, usage = _run(STREAM, [cut], hide)
            assert relayed == expected, f"cut at {cut}"
            assert usage == EXPECTED_USAGE, f"cut at {cut}"


def test_usage_riding_on_a_content_chunk_is_kept_even_when_hiding() -> None:
    final = _event(
        {"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 2}}
    )
    relayed, usage = _run(final + DONE, [5], hide=True)
    assert relayed == final + DONE
    assert usage is not None and usage.prompt_tokens == 2


def test_crlf_framing_and_comments_are_tolerated() -> None:
    stream = b": keep-alive\r\n\r\n" + USAGE.replace(b"\n", b"\r\n") + b"data: [DONE]\r\n\r\n"
    relayed, usage = _run(stream, [3, 40], hide=False)
    assert usage == EXPECTED_USAGE
    assert relayed.endswith(DONE)


def test_unterminated_tail_is_flushed() -> None:
    relayed, usage = _run(USAGE.rstrip(b"\n"), [10], hide=False)
    assert usage == EXPECTED_USAGE
    assert relayed == USAGE


def test_spaced_json_and_null_usage_chunks() -> None:
    spaced = b'data: {"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1}}\n\n'
    nulls = b'data: {"choices": [{"delta": {"content": "x"}}], "usage": null}\n\n'
    relayed, usage = _run(nulls + spaced + DONE, [7], hide=True)
    assert relayed == nulls + DONE
    assert usage is not None and usage.prompt_tokens == 4 and usage.completion_tokens == 1
