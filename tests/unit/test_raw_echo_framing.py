"""The raw-echo re-chunker hands out whole upstream events, however the bytes were split."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from cloverleaf.pipeline.raw_echo import _FramedResponse, _framer

SSE_EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "n": 1},
    {"type": "content_block_delta", "text": "a\u00e9b"},
    {"type": "message_stop"},
]
SSE = (
    b"".join(
        b"event: " + e["type"].encode() + b"\r\ndata: " + orjson.dumps(e) + b"\r\n\r\n"
        for e in SSE_EVENTS
    )
    + b": keep-alive\n\n"
)
NDJSON_EVENTS: list[dict[str, Any]] = [{"message": {"content": "x"}}, {"done": True}]
NDJSON = b"".join(orjson.dumps(e) + b"\n" for e in NDJSON_EVENTS)


class _Chunks:
    """An upstream response that yields the given chunks, then None."""

    status = 200

    def __init__(self, chunks: list[bytes], content_type: str) -> None:
        self._chunks = list(chunks)
        self._content_type = content_type
        self.closed = False

    def header(self, name: str) -> str | None:
        return self._content_type if name == "content-type" else None

    async def read(self) -> bytes:
        return b"".join(self._chunks)

    async def next_chunk(self) -> bytes | None:
        return self._chunks.pop(0) if self._chunks else None

    async def aclose(self) -> None:
        self.closed = True


async def _drain(body: bytes, cut: int, content_type: str) -> tuple[list[bytes], list[Any]]:
    framer = _framer(content_type)
    assert framer is not None
    parts = [body[:cut], body[cut:]] if 0 < cut < len(body) else [body]
    upstream = _Chunks(parts[1:], content_type)
    framed = _FramedResponse(upstream, framer, parts[0])
    frames: list[bytes] = []
    payloads: list[Any] = []
    while (frame := await framed.next_chunk()) is not None:
        frames.append(frame)
        payloads.append(framed.current)
    assert framed.current is None
    await framed.aclose()
    assert upstream.closed
    return frames, payloads


@pytest.mark.parametrize("cut", range(len(SSE) + 1))
def test_sse_split_anywhere(cut: int) -> None:
    frames, payloads = asyncio.run(_drain(SSE, cut, "text/event-stream; charset=utf-8"))
    assert [p for p in payloads if p is not None] == SSE_EVENTS
    assert b"".join(frames) == SSE.replace(b"\r\n", b"\n")  # nothing lost on the way


@pytest.mark.parametrize("cut", range(len(NDJSON) + 1))
def test_ndjson_split_anywhere(cut: int) -> None:
    frames, payloads = asyncio.run(_drain(NDJSON, cut, "application/x-ndjson"))
    assert payloads == NDJSON_EVENTS
    assert b"".join(frames) == NDJSON


def test_unframed_content_types_are_left_alone() -> None:
    assert _framer("application/vnd.amazon.eventstream") is None
    assert _framer("application/json") is None
