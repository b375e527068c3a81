"""Prediction event streams ⇄ core events.

The stream (`GET urls.stream`) is SSE with named events: `output` (raw text, not JSON: a text
with newlines comes as several `data:` lines, joined back with "\\n"), `logs` (ignored),
`error` (`{"detail": ...}`) and `done` (`{}`, or `{"reason": "canceled"}`).
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.sse import SseEvent, SseParser


class ReplicateStreamDecoder:
    """The stream carries no id, model, finish reason or usage: start and finish are
    synthesized, and a streamed answer's usage is unknown (token counts exist only in the
    prediction's `metrics`, which the stream never sends). A stream that ends without `done`
    was cut off, and is reported as an error rather than passed off as complete."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self) -> None:
        self._sse = SseParser()
        self._started = False
        self._finished = False
        self._deferred = DeferredError()

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._deferred.decode(self._sse.feed(chunk), self._decode)

    def close(self) -> list[StreamEvent]:
        events = self._deferred.decode(self._sse.close(), self._decode)
        self._deferred.raise_pending()
        if not self._finished:
            raise GatewayError(
                502,
                "the upstream stream ended before its done event",
                type="server_error",
                code="stream_truncated",
            )
        return events

    def _decode(self, event: SseEvent, out: list[StreamEvent]) -> None:
        if self._finished:
            return
        if event.event == "output":
            self._start(out)
            if event.data:
                out.append(TextDelta(event.data))
        elif event.event == "error":
            detail = _json(event.data).get("detail")
            message = detail if isinstance(detail, str) and detail else "the prediction failed"
            raise GatewayError(502, message, type="server_error", code="prediction_failed")
        elif event.event == "done":
            reason = _json(event.data).get("reason")
            if reason == "canceled":
                raise GatewayError(
                    502,
                    "the prediction was canceled before it finished",
                    type="server_error",
                    code="prediction_canceled",
                )
            if reason == "error":
                raise GatewayError(
                    502, "the prediction failed", type="server_error", code="prediction_failed"
                )
            self._start(out)
            self._finished = True
            raw = reason if isinstance(reason, str) and reason else None
            out.append(StreamFinish(FinishReason.STOP, raw))

    def _start(self, out: list[StreamEvent]) -> None:
        if not self._started:
            self._started = True
            out.append(StreamStart("", ""))


def _json(data: str) -> dict[str, Any]:
    try:
        value: Any = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        return {"detail": data}  # a bare text detail is still the best message there is
    return value if isinstance(value, dict) else {}


class ReplicateStreamEncoder:
    """Core events → the prediction stream a Replicate client reads. Every event carries an
    `id:`, which the official Python SDK requires before it yields an event."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest | None = None) -> None:
        del request  # the stream's shape does not depend on the request
        self._count = 0

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta) and event.text:
            return self._frame("output", event.text)
        return b""  # start, reasoning and usage have no event; `done` is written by close

    def close(self) -> bytes:
        return self._frame("done", "{}")

    def error(self, error: GatewayError) -> bytes:
        return self._frame("error", orjson.dumps({"detail": error.message}).decode())

    def _frame(self, name: str, text: str) -> bytes:
        self._count += 1
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        data = "".join(f"data: {line}\n" for line in lines)
        return f"event: {name}\nid: {self._count}\n{data}\n".encode()
