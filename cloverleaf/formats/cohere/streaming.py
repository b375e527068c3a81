"""Cohere v2 chat streams ⇄ core stream events (cohere.md "Chat streaming", mapping.md §10).

Each SSE frame carries its type twice (the `event:` line and `data.type`); the data's `type`
is read, so a capture without `event:` lines decodes too. `data: [DONE]` is optional.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ReasoningDelta,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.cohere.errors import stream_error
from cloverleaf.formats.cohere.wire import (
    finish_from_core,
    finish_to_core,
    usage_from_core,
    usage_to_core,
)
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.sse import SseParser, sse


class CohereStreamDecoder:
    """Upstream SSE → core events. Tool calls are renumbered 0, 1, ... by first appearance,
    whatever index Cohere gives them. An `error` on `message-end` raises, after the events
    decoded before it have been handed over."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self, provider: str = "") -> None:
        self._sse = SseParser()
        self._provider = provider
        self._tools: dict[int, int] = {}  # Cohere tool-call index → core index
        self._deferred = DeferredError()

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._deferred.decode([f.data for f in self._sse.feed(chunk)], self._decode)

    def close(self) -> list[StreamEvent]:
        return self._deferred.decode([f.data for f in self._sse.close()], self._decode)

    def _decode(self, data: str, out: list[StreamEvent]) -> None:
        try:
            payload: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            return  # `[DONE]`, keep-alives
        if not isinstance(payload, dict):
            return
        kind, delta = payload.get("type"), _obj(payload.get("delta"))
        message = _obj(delta.get("message"))
        if kind == "message-start":
            out.append(StreamStart(str(payload.get("id", "")), ""))
        elif kind in ("content-start", "content-delta"):
            content = _obj(message.get("content"))
            if content.get("text"):
                out.append(TextDelta(str(content["text"])))
            elif content.get("thinking"):
                out.append(ReasoningDelta(str(content["thinking"])))
        elif kind == "tool-plan-delta" and message.get("tool_plan"):
            out.append(TextDelta(str(message["tool_plan"])))
        elif kind in ("tool-call-start", "tool-call-delta"):
            self._tool(payload.get("index"), _obj(message.get("tool_calls")), out)
        elif kind == "message-end":
            self._end(delta, out)

    def _tool(self, index: Any, call: dict[str, Any], out: list[StreamEvent]) -> None:
        function = _obj(call.get("function"))
        arguments = function.get("arguments")
        arguments = arguments if isinstance(arguments, str) else ""
        key = index if isinstance(index, int) else len(self._tools)
        if key not in self._tools:
            self._tools[key] = len(self._tools)
            call_id, name = str(call.get("id", "")), str(function.get("name", ""))
            out.append(ToolCallDelta(self._tools[key], arguments, call_id, name))
        elif arguments:
            out.append(ToolCallDelta(self._tools[key], arguments))

    def _end(self, delta: dict[str, Any], out: list[StreamEvent]) -> None:
        error = delta.get("error")
        if isinstance(error, str) and error:
            raise stream_error(error, self._provider)
        raw = delta.get("finish_reason")
        if isinstance(raw, str):
            out.append(StreamFinish(finish_to_core(raw), raw))
        if isinstance(delta.get("usage"), dict):
            out.append(UsageReport(usage_to_core(delta["usage"])))


class CohereStreamEncoder:
    """Core events → Cohere v2 SSE for a client. Content items open and close as the kind of
    delta changes; `message-end` waits for both finish and usage, which it carries together."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        self._started = False
        self._contents = 0  # content items opened so far; the next one gets this index
        self._open: str | None = None  # "text", "thinking", "tool" or None
        self._tool_index = -1  # the open tool call's index
        self._finish: StreamFinish | None = None
        self._usage: Usage | None = None
        self._ended = False

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            return self._start(event.id)
        out = self._start("")
        if isinstance(event, TextDelta | ReasoningDelta):
            kind = "text" if isinstance(event, TextDelta) else "thinking"
            return out + self._content(kind, event.text)
        if isinstance(event, ToolCallDelta):
            return out + self._tool(event)
        if isinstance(event, StreamFinish):
            self._finish = event
            out += self._close_open()
        else:
            self._usage = event.usage
        if self._finish is not None and self._usage is not None:
            out += self._message_end()
        return out

    def close(self) -> bytes:
        out = self._start("") + self._close_open() + self._message_end()
        return out + b"data: [DONE]\n\n"

    def error(self, error: GatewayError) -> bytes:
        """Cohere's only in-band failure: a `message-end` with `finish_reason: ERROR`."""
        out = self._start("") + self._close_open()
        self._ended = True
        delta = {"finish_reason": "ERROR", "error": error.message}
        return out + _event("message-end", {"delta": delta})

    def _start(self, message_id: str) -> bytes:
        if self._started:
            return b""
        self._started = True
        message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}
        payload = {"id": message_id or "cloverleaf", "delta": {"message": message}}
        return _event("message-start", payload)

    def _content(self, kind: str, text: str) -> bytes:
        if not text:
            return b""
        out = b""
        if self._open != kind:
            out += self._close_open()
            self._open, self._contents = kind, self._contents + 1
            start = {"content": {"type": kind, kind: ""}}
            out += _event(
                "content-start", {"index": self._contents - 1, "delta": {"message": start}}
            )
        delta = {"message": {"content": {kind: text}}}
        return out + _event("content-delta", {"index": self._contents - 1, "delta": delta})

    def _tool(self, event: ToolCallDelta) -> bytes:
        out = b""
        if self._open != "tool" or event.index != self._tool_index:
            out += self._close_open()
            self._open, self._tool_index = "tool", event.index
            function = {"name": event.name or "", "arguments": ""}
            call = {"id": event.id or "", "type": "function", "function": function}
            start = {"index": event.index, "delta": {"message": {"tool_calls": call}}}
            out += _event("tool-call-start", start)
        if event.arguments:
            call = {"function": {"arguments": event.arguments}}
            delta = {"index": event.index, "delta": {"message": {"tool_calls": call}}}
            out += _event("tool-call-delta", delta)
        return out

    def _close_open(self) -> bytes:
        kind, self._open = self._open, None
        if kind == "tool":
            return _event("tool-call-end", {"index": self._tool_index})
        if kind is not None:
            return _event("content-end", {"index": self._contents - 1})
        return b""

    def _message_end(self) -> bytes:
        if self._ended:
            return b""
        self._ended = True
        finish = self._finish or StreamFinish(finish_to_core("COMPLETE"))
        delta = {
            "finish_reason": finish_from_core(finish.reason, finish.raw),
            "usage": usage_from_core(self._usage or Usage()),
        }
        return _event("message-end", {"delta": delta})


def _obj(value: Any) -> dict[str, Any]:
    """A wrong-typed field reads as empty: a malformed event never crashes the relay."""
    return value if isinstance(value, dict) else {}


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return sse(orjson.dumps({"type": name, **payload}), name)
