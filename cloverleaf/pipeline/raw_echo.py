"""Bifrost's `send_back_raw_request` / `send_back_raw_response`: the bodies exchanged with the
provider, echoed to the client in the answer's `extra_fields`.

Only OpenAI-dialect answers carry them (Bifrost's `BifrostResponse.extra_fields` is an OpenAI
chat extension); Anthropic, Gemini and Ollama clients have no such field and get their usual
answer. The raw request is the upstream body exactly as sent, never headers or the URL, so no
credential can appear in it. Routes with both flags off never reach this module: their traffic
stays a byte pass-through.

Streams: every chunk's `raw_response` is the upstream event that produced it (Bifrost does the
same); upstream events that produce no client chunk (Anthropic's `ping`) are not echoed, and
binary event streams (Bedrock) carry none. The raw request rides on the first chunk, so a client
has it even when the stream fails later (Bifrost puts it on the last one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator
from typing import Any

import orjson

from cloverleaf.pipeline.result import ChatResult
from cloverleaf.routing.attempts import Opened
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamResponse

_EVENT_END = b"\n\n"
_DATA = b"data: {"


class RawEcho:
    """What one request echoes: built after the upstream answered, applied to the result."""

    def __init__(self, target: Target, stream: bool, sent: bytes) -> None:
        route = target.route
        self._request: Any = _json_or_text(sent) if route.send_back_raw_request else None
        self._responses = route.send_back_raw_response
        self._is_stream = stream
        self._fields: dict[str, Any] = {
            "provider": route.name,
            "model_requested": target.model,
            "request_type": "chat_completion_stream" if stream else "chat_completion",
        }
        self._framed: _FramedResponse | None = None

    def framed(self, opened: Opened) -> Opened:
        """For a stream echoing responses: hand the relay one upstream event per chunk, so the
        client chunks it yields for that chunk came from that one event."""
        if not (self._is_stream and self._responses) or opened.first is None:
            return opened
        framer = _framer(opened.response.header("content-type") or "")
        if framer is None:
            return opened
        self._framed = _FramedResponse(opened.response, framer, opened.first)
        return Opened(opened.target, opened.key, self._framed, b"", opened.remote_ms)

    def applied(self, result: ChatResult, upstream_body: bytes | None) -> ChatResult:
        if result.stream is not None:
            result.stream = self._stream(result.stream)
        elif 200 <= result.status < 300:
            raw = _json_or_text(upstream_body or b"") if self._responses else None
            result.body = _with_fields(result.body, self._extra(raw, None))
        return result

    async def _stream(self, chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
        index = 0
        try:
            async for chunk in chunks:
                raw = self._framed.current if self._framed is not None else None
                events = chunk.split(_EVENT_END)
                for at, event in enumerate(events):
                    if event.startswith(_DATA) and b"\n" not in event:
                        fields = self._extra(raw, index)
                        if index == 0 and self._request is not None:
                            fields["raw_request"] = self._request
                        events[at] = b"data: " + _with_fields(event[6:], fields)
                        index += 1
                yield _EVENT_END.join(events)
        finally:
            await chunks.aclose()

    def _extra(self, raw_response: Any, chunk_index: int | None) -> dict[str, Any]:
        fields = dict(self._fields)
        if chunk_index is None:
            if self._request is not None:
                fields["raw_request"] = self._request
        else:
            fields["chunk_index"] = chunk_index
        if raw_response is not None:
            fields["raw_response"] = raw_response
        return fields


def _with_fields(body: bytes, fields: dict[str, Any]) -> bytes:
    """A JSON object with ours merged into any `extra_fields` it had (an upstream Bifrost's);
    anything else (an error event, a body that is not an object) goes out unchanged."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(parsed, dict) or "error" in parsed:
        return body
    existing = parsed.get("extra_fields")
    parsed["extra_fields"] = {**existing, **fields} if isinstance(existing, dict) else fields
    return orjson.dumps(parsed)


def _json_or_text(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


class _SseFramer:
    """Complete SSE events, each with its data payload parsed for the echo."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[bytes, Any]]:
        data = self._buffer + chunk
        data = data.replace(b"\r\n", b"\n") if b"\r" in data else data
        end = data.rfind(_EVENT_END)
        if end < 0:
            self._buffer = data
            return []
        self._buffer = data[end + 2 :]
        return [_sse_frame(block) for block in data[:end].split(_EVENT_END) if block.strip()]

    def close(self) -> list[tuple[bytes, Any]]:
        rest, self._buffer = self._buffer.strip(), b""
        return [_sse_frame(rest)] if rest else []


def _sse_frame(block: bytes) -> tuple[bytes, Any]:
    lines = [line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:")]
    payload = b"\n".join(lines)
    return block + _EVENT_END, _json_or_text(payload) if payload else None


class _LineFramer:
    """NDJSON (Ollama): one JSON value a line."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[bytes, Any]]:
        data = self._buffer + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._buffer = data
            return []
        self._buffer = data[end + 1 :]
        lines = data[:end].split(b"\n")
        return [(line + b"\n", _json_or_text(line.strip())) for line in lines if line.strip()]

    def close(self) -> list[tuple[bytes, Any]]:
        rest, self._buffer = self._buffer.strip(), b""
        return [(rest + b"\n", _json_or_text(rest))] if rest else []


_Framer = _SseFramer | _LineFramer


def _framer(content_type: str) -> _Framer | None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/event-stream":
        return _SseFramer()
    if kind in ("application/x-ndjson", "application/jsonl"):
        return _LineFramer()
    return None  # another framing (AWS event-stream): chunks go on as they came, unechoed


class _FramedResponse:
    """The upstream response, re-chunked into whole events; `current` is the payload of the
    event handed out last."""

    def __init__(self, response: UpstreamResponse, framer: _Framer, first: bytes) -> None:
        self._response = response
        self._framer = framer
        self._ready: deque[tuple[bytes, Any]] = deque(framer.feed(first))
        self._ended = False
        self.status = response.status
        self.current: Any = None

    def header(self, name: str) -> str | None:
        return self._response.header(name)

    async def read(self) -> bytes:
        return await self._response.read()

    async def next_chunk(self) -> bytes | None:
        while not self._ready:
            if self._ended:
                self.current = None
                return None
            chunk = await self._response.next_chunk()
            if chunk is None:
                self._ended = True
                self._ready.extend(self._framer.close())
            else:
                self._ready.extend(self._framer.feed(chunk))
        frame, self.current = self._ready.popleft()
        return frame

    async def aclose(self) -> None:
        await self._response.aclose()
