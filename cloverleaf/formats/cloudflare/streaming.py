"""Native run streams ⇄ core events: SSE of `{"response": "Hel", "p": "..."}`, then `[DONE]`."""

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
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.cloudflare.errors import error_entry, first_error
from cloverleaf.formats.cloudflare.request import tool_call_in
from cloverleaf.formats.cloudflare.response import tool_call_out, usage_out
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.sse import SseParser, sse

DONE = b"data: [DONE]\n\n"


class CloudflareStreamDecoder:
    """The stream has no id, model or finish reason: start and finish are synthesized (finish
    is `tool_calls` once any call arrived). `p` is random padding and is ignored."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self) -> None:
        self._sse = SseParser()
        self._started = False
        self._finished = False
        self._calls = 0
        self._deferred = DeferredError()

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._deferred.decode(self._sse.feed_data(chunk), self._decode)

    def close(self) -> list[StreamEvent]:
        events = self._deferred.decode(
            [e.data.encode() for e in self._sse.close() if e.data], self._decode
        )
        self._deferred.raise_pending()
        if self._started and not self._finished:  # upstream ended without `[DONE]`
            events.append(self._finish())
        return events

    def _decode(self, data: bytes, out: list[StreamEvent]) -> None:
        data = data.strip()
        if data == b"[DONE]":
            if not self._finished:
                self._start(out)
                out.append(self._finish())
            return
        try:
            event: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if not isinstance(event, dict) or self._finished:
            return
        _raise_in_band(event)
        self._start(out)
        text = event.get("response")
        if isinstance(text, str) and text:
            out.append(TextDelta(text))
        for raw in event.get("tool_calls") or ():
            if isinstance(raw, dict):
                call = tool_call_in(raw, self._calls)
                out.append(ToolCallDelta(self._calls, call.arguments, call.id, call.name))
                self._calls += 1
        usage = Usage.from_openai(event.get("usage"))
        if usage is not None:
            out.append(UsageReport(usage))

    def _start(self, out: list[StreamEvent]) -> None:
        if not self._started:
            self._started = True
            out.append(StreamStart("", ""))

    def _finish(self) -> StreamFinish:
        self._finished = True
        return StreamFinish(FinishReason.TOOL_CALLS if self._calls else FinishReason.STOP)


def _raise_in_band(event: dict[str, Any]) -> None:
    """`{"error": "..."}` or `{"errors": [{code, message}]}` inside a 200 stream."""
    if "errors" in event and event.get("success") is not True:
        found = first_error(event)
        if found is not None:
            raise GatewayError(
                502, found[0] or "upstream stream error", type="server_error", code=found[1]
            )
    error = event.get("error")
    if error is not None:
        message = error.get("message") if isinstance(error, dict) else error
        code = error.get("code") if isinstance(error, dict) else None
        raise GatewayError(
            502,
            str(message or "upstream stream error"),
            type="server_error",
            code=str(code) if code is not None else None,
        )


class CloudflareStreamEncoder:
    """Core events → native SSE. Native tool calls arrive whole, so argument deltas are
    gathered and sent as one event at the finish; usage rides on the last event."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        del request
        self._calls: dict[int, ToolCall] = {}
        self._usage: Usage | None = None

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, TextDelta):
            return sse(orjson.dumps({"response": event.text}))
        if isinstance(event, ToolCallDelta):
            known = self._calls.get(event.index, ToolCall("", "", ""))
            self._calls[event.index] = ToolCall(
                event.id or known.id, event.name or known.name, known.arguments + event.arguments
            )
            return b""
        if isinstance(event, StreamFinish) and self._calls:
            calls = [tool_call_out(c.name, c.arguments) for _, c in sorted(self._calls.items())]
            self._calls.clear()
            return sse(orjson.dumps({"response": "", "tool_calls": calls}))
        if isinstance(event, UsageReport):
            self._usage = event.usage
        return b""  # start, reasoning (no native field) and a plain finish send nothing

    def close(self) -> bytes:
        if self._usage is None:
            return DONE
        return sse(orjson.dumps({"response": "", "usage": usage_out(self._usage)})) + DONE

    def error(self, error: GatewayError) -> bytes:
        return sse(orjson.dumps({"errors": [error_entry(error)]}))
