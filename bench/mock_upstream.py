"""A minimal HTTP/1.1 upstream that answers static bytes, fast enough never to be the bottleneck.

A raw asyncio ``Protocol`` on uvloop: no HTTP library, no JSON parsing. It frames requests by
``Content-Length`` (or a chunked body), so pipelined and split reads from wrk and from the
gateway's keep-alive pool are answered in order, and picks the stream answer by a bytes search
for ``"stream":true``. Run as ``python -m bench.mock_upstream --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import cast

from bench import payloads

_STREAM_MARKERS = (b'"stream":true', b'"stream": true')
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found"
)


def _response(content_type: bytes, body: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    return head % (content_type, len(body)) + body


# path -> (non-stream answer, stream answer). Other dialects' upstreams become more rows here.
ROUTES: dict[bytes, tuple[bytes, bytes]] = {
    b"/v1/chat/completions": (
        _response(b"application/json", payloads.CHAT_COMPLETION),
        _response(b"text/event-stream", payloads.CHAT_STREAM),
    ),
}
_HEALTH = _response(b"text/plain", b"ok")


def _chunked_end(data: bytes, pos: int) -> int:
    """Index just past a chunked body starting at ``pos``, or -1 if it is not complete yet."""
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return -1
        size = int(data[pos:eol].split(b";", 1)[0], 16)
        if size == 0:  # last chunk: skip (rare) trailers up to the blank line
            end = data.find(b"\r\n\r\n", eol)
            return -1 if end < 0 else end + 4
        pos = eol + 2 + size + 2
        if pos > len(data):
            return -1


class _Connection(asyncio.Protocol):
    """One keep-alive connection: buffer bytes, answer every complete request in order."""

    __slots__ = ("_buffer", "_transport")

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self._buffer:
            data = self._buffer + data
        out: list[bytes] = []
        pos, close = 0, False
        while not close:
            head_end = data.find(b"\r\n\r\n", pos)
            if head_end < 0:
                break
            head = data[pos:head_end].lower()
            body_start = head_end + 4
            length_at = head.find(b"\ncontent-length:")
            if length_at >= 0:
                line_end = head.find(b"\r", length_at + 16)
                end = body_start + int(head[length_at + 16 : line_end if line_end >= 0 else None])
            elif b"\ntransfer-encoding: chunked" in head:
                end = _chunked_end(data, body_start)
            else:
                end = body_start
            if end < 0 or end > len(data):
                break
            out.append(self._answer(data, pos, body_start, end))
            close = b"\nconnection: close" in head
            pos = end
        self._buffer = data[pos:] if pos < len(data) else b""
        assert self._transport is not None
        if out:
            self._transport.write(b"".join(out))
        if close:
            self._transport.close()

    @staticmethod
    def _answer(data: bytes, pos: int, start: int, end: int) -> bytes:
        request_line = data[pos : data.find(b"\r\n", pos)]
        target = request_line.split(b" ", 2)[1].split(b"?", 1)[0] if b" " in request_line else b""
        route = ROUTES.get(target)
        if route is None:
            return _HEALTH if target == b"/health" else _NOT_FOUND
        stream = any(data.find(m, start, end) >= 0 for m in _STREAM_MARKERS)
        return route[1] if stream else route[0]


async def serve(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, host, port, backlog=4096, reuse_address=True)
    stop = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    async with server:
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvloop

    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
