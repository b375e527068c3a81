"""Server-sent events framing, shared by every SSE dialect (OpenAI, Anthropic, Gemini, ...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str | None
    data: str


#: the separator between two one-line `data:` blocks
_NEXT_DATA = b"\n\ndata: "


class SseParser:
    """Bytes in any split → complete events. Comments (`: keep-alive`) and retry/id are ignored."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        return [e for block in self._blocks(chunk) if (e := _event(block)) is not None]

    def feed_data(self, chunk: bytes) -> list[bytes]:
        """Only the `data` payloads, as bytes: for dialects that never name their events
        (OpenAI). When every block of a read is the usual one-line `data: {...}` frame, the
        read is split in one call, with no per-block work."""
        body = self._complete(chunk)
        if not body:
            return []
        if body.startswith(b"data: ") and body.count(b"\n") == 2 * body.count(_NEXT_DATA):
            return body[6:].split(_NEXT_DATA)
        out = []
        for block in body.split(b"\n\n"):
            if block.startswith(b"data: ") and b"\n" not in block:
                out.append(block[6:])
            elif (event := _event(block)) is not None and event.data:
                out.append(event.data.encode())
        return out

    def _blocks(self, chunk: bytes) -> list[bytes]:
        body = self._complete(chunk)
        return body.split(b"\n\n") if body else []

    def _complete(self, chunk: bytes) -> bytes:
        """The complete blocks received so far (LF line ends); the rest waits in the buffer."""
        data = self._buffer + chunk
        if data.endswith(b"\r"):  # a CRLF may be split across chunks: wait for its LF
            self._buffer = data
            return b""
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n\n")
        if end < 0:
            self._buffer = data
            return b""
        self._buffer = data[end + 2 :]
        return data[:end]

    def close(self) -> list[SseEvent]:
        rest, self._buffer = self._buffer, b""
        event = _event(rest.strip(b"\n")) if rest.strip() else None
        return [event] if event is not None else []


def _event(block: bytes) -> SseEvent | None:
    name: str | None = None
    data: list[str] = []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):
            continue
        field, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if field == b"data":
            data.append(value.decode("utf-8", "replace"))
        elif field == b"event":
            name = value.decode("utf-8", "replace")
    if not data and name is None:
        return None
    return SseEvent(name, "\n".join(data))


def sse(data: bytes, event: str | None = None) -> bytes:
    """One SSE frame."""
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + data + b"\n\n"
