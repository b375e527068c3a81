"""Ollama NDJSON streams ⇄ core stream events.

One JSON object per line, no `data:` prefix and no `[DONE]`: the line with `done: true` ends the
stream and carries the counters. Tool calls travel whole, never as argument fragments.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
    ReasoningDelta,
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
from cloverleaf.formats.ollama.errors import render_error, stream_error
from cloverleaf.formats.ollama.from_core import created_at, final_fields, tool_calls
from cloverleaf.formats.ollama.to_core import created, finish_reason, tool_call, usage

NDJSON = "application/x-ndjson"


class NdjsonLines:
    """Bytes in any split → complete lines (blank lines dropped, `\\r\\n` tolerated)."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._buffer + chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._buffer = data
            return []
        self._buffer = data[end + 1 :]
        return [line for raw in data[:end].split(b"\n") if (line := raw.strip())]

    def close(self) -> list[bytes]:
        rest, self._buffer = self._buffer.strip(), b""
        return [rest] if rest else []


class OllamaStreamDecoder:
    """Reads `/api/chat` lines (and `/api/generate` ones, whose text is in `response`)."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self, provider: str = "") -> None:
        self._lines = NdjsonLines()
        self._provider = provider
        self._started = False
        self._calls = 0
        self._error: GatewayError | None = None

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """An `{"error"}` line is raised once the events before it (same chunk) are out."""
        out: list[StreamEvent] = []
        for line in self._lines.feed(chunk):
            self._decode(line, out)
        if self._error is not None and not out:
            raise self._error
        return out

    def close(self) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        for line in self._lines.close():
            self._decode(line, out)
        if self._error is not None:
            raise self._error
        return out

    def _decode(self, line: bytes, out: list[StreamEvent]) -> None:
        if self._error is not None:
            return  # nothing after an error line belongs to the answer
        try:
            data: Any = orjson.loads(line)
        except orjson.JSONDecodeError:
            return  # a torn last line from a dropped connection: nothing usable in it
        if not isinstance(data, dict):
            return
        if "error" in data:
            self._error = stream_error(data["error"], self._provider)
            return
        if not self._started:
            self._started = True
            out.append(StreamStart("", str(data.get("model", "")), created(data.get("created_at"))))
        message = data.get("message")
        if isinstance(message, dict):
            thinking, text = message.get("thinking"), message.get("content")
            calls = message.get("tool_calls") or ()
        else:
            thinking, text, calls = data.get("thinking"), data.get("response"), ()
        if isinstance(thinking, str) and thinking:
            out.append(ReasoningDelta(thinking))
        if isinstance(text, str) and text:
            out.append(TextDelta(text))
        for raw in calls:
            call = tool_call(raw, self._calls)
            out.append(ToolCallDelta(self._calls, call.arguments, call.id, call.name))
            self._calls += 1
        if data.get("done") is True:
            raw_reason = data.get("done_reason")
            reason = finish_reason(raw_reason, self._calls > 0)
            out.append(StreamFinish(reason, raw_reason if isinstance(raw_reason, str) else None))
            out.append(UsageReport(usage(data)))


class OllamaStreamEncoder:
    """Core events → `/api/chat` lines for an Ollama client.

    Argument fragments are held until the call is complete (Ollama clients expect whole calls
    with object arguments); the `done` line is written by `close()` because usage arrives after
    the finish event.
    """

    content_type = NDJSON

    def __init__(self, request: ChatRequest) -> None:
        self._model = request.model
        self._created = 0
        self._calls: dict[int, list[str]] = {}  # index → [id, name, arguments so far]
        self._reason = FinishReason.STOP
        self._usage = Usage()

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, ToolCallDelta):
            call = self._calls.setdefault(event.index, ["", "", ""])
            call[0] = event.id or call[0]
            call[1] = event.name or call[1]
            call[2] += event.arguments
            return b""
        out = self._flush_calls()
        if isinstance(event, StreamStart):
            self._created = event.created
        elif isinstance(event, TextDelta) and event.text:
            out += self._line(self.delta(text=event.text))
        elif isinstance(event, ReasoningDelta) and event.text:
            out += self._line(self.delta(thinking=event.text))
        elif isinstance(event, StreamFinish):
            self._reason = event.reason
        elif isinstance(event, UsageReport):
            self._usage = event.usage
        return out

    def close(self) -> bytes:
        return self._flush_calls() + self._line(self.final(self._reason, self._usage))

    def error(self, error: GatewayError) -> bytes:
        return render_error(error) + b"\n"

    # -- line shapes (GenerateStreamEncoder overrides these two) --------------------------------
    def delta(
        self, *, text: str = "", thinking: str = "", calls: tuple[ToolCall, ...] = ()
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if thinking:
            message["thinking"] = thinking
        if calls:
            message["tool_calls"] = tool_calls(calls)
        return {"message": message, "done": False}

    def final(self, reason: FinishReason, counts: Usage) -> dict[str, Any]:
        return {"message": {"role": "assistant", "content": ""}, **final_fields(reason, counts)}

    def _line(self, body: dict[str, Any]) -> bytes:
        head = {"model": self._model, "created_at": created_at(self._created)}
        return orjson.dumps({**head, **body}) + b"\n"

    def _flush_calls(self) -> bytes:
        if not self._calls:
            return b""
        calls = tuple(
            ToolCall(call_id, name, arguments)
            for _, (call_id, name, arguments) in sorted(self._calls.items())
        )
        self._calls.clear()
        return self._line(self.delta(calls=calls))
