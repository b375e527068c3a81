"""Gemini `:streamGenerateContent?alt=sse` streams ⇄ core stream events.

Each SSE event is a whole GenerateContentResponse holding only the new parts; there is no
`[DONE]`, the last chunk carries `finishReason`, and `usageMetadata` may repeat with running
values (the last one wins). Function calls arrive whole, so the encoder buffers core argument
deltas until a call is complete.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    FinishReason,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.gemini.errors import error_body, error_from_object
from cloverleaf.formats.gemini.from_core import finish_value, usage_metadata
from cloverleaf.formats.gemini.parts import call_args, is_synthetic, read_parts, wire
from cloverleaf.formats.gemini.to_core import block_reason, finish_reason, usage_to_core
from cloverleaf.formats.sse import SseEvent, SseParser, sse


class GeminiStreamDecoder:
    """SSE chunks → core events; an `{"error": ...}` chunk raises GatewayError. Events decoded
    before the error in the same `feed` are returned first; the error is raised by the next
    `feed` or `close`, so no text the client could still be shown is lost."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self, provider: str = "") -> None:
        self._sse = SseParser()
        self._provider = provider
        self._started = False
        self._ids = itertools.count()
        self._calls = 0
        self._usage: Usage | None = None
        self._reported: Usage | None = None
        self._deferred = DeferredError()

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._decode_frames(self._sse.feed(chunk))

    def close(self) -> list[StreamEvent]:
        out = self._decode_frames(self._sse.close())
        self._deferred.raise_pending()
        if self._usage is not None and self._usage != self._reported:
            out.append(UsageReport(self._usage))
            self._reported = self._usage
        return out

    def _decode_frames(self, frames: list[SseEvent]) -> list[StreamEvent]:
        return self._deferred.decode(frames, lambda frame, out: self._decode(frame.data, out))

    def _decode(self, data: str, out: list[StreamEvent]) -> None:
        if not data.strip():
            return
        try:
            chunk: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise self._unreadable() from None
        if not isinstance(chunk, dict):
            raise self._unreadable()
        error = chunk.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            status = code if isinstance(code, int) and 400 <= code <= 599 else 502
            raise error_from_object(status, error, self._provider)
        if not self._started:
            self._started = True
            model = str(wire(chunk, "modelVersion") or "")
            out.append(StreamStart(str(wire(chunk, "responseId") or ""), model))
        meta = wire(chunk, "usageMetadata")
        if isinstance(meta, dict):
            self._usage = usage_to_core(meta)
        candidates = chunk.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            blocked = block_reason(chunk)
            if blocked:
                self._finish(StreamFinish(FinishReason.CONTENT_FILTER, blocked), out)
            return
        candidate = candidates[0] if isinstance(candidates[0], dict) else {}
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        self._parts(parts, out)
        raw = wire(candidate, "finishReason")
        if isinstance(raw, str) and raw:
            self._finish(StreamFinish(finish_reason(raw, self._calls > 0), raw), out)

    def _parts(self, parts: Any, out: list[StreamEvent]) -> None:
        for item in read_parts(parts, "candidates[0].content", self._ids, strict=False):
            if isinstance(item, ReasoningPart):
                out.append(ReasoningDelta(item.text, item.signature))
            elif isinstance(item, TextPart):
                out.append(TextDelta(item.text))
            elif isinstance(item, ToolCall):
                out.append(
                    ToolCallDelta(self._calls, item.arguments, item.id, item.name, item.signature)
                )
                self._calls += 1

    def _finish(self, finish: StreamFinish, out: list[StreamEvent]) -> None:
        out.append(finish)
        if self._usage is not None:
            out.append(UsageReport(self._usage))
            self._reported = self._usage

    def _unreadable(self) -> GatewayError:
        return GatewayError(
            502, "the upstream sent an unreadable Gemini stream chunk",
            type="server_error", provider=self._provider or None,
        )  # fmt: skip


@dataclass(slots=True)
class _PendingCall:
    id: str | None = None
    name: str | None = None
    signature: str | None = None
    arguments: list[str] = field(default_factory=list)

    def part(self) -> dict[str, Any]:
        function: dict[str, Any] = {
            "name": self.name or "",
            "args": call_args("".join(self.arguments)),
        }
        if self.id and not is_synthetic(self.id):
            function["id"] = self.id
        if self.signature:
            return {"functionCall": function, "thoughtSignature": self.signature}
        return {"functionCall": function}


class GeminiStreamEncoder:
    """Core events → Gemini chunks. Finish reason and usage wait for `close()`, because Gemini
    puts both on the last chunk and core sends usage after the finish."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        self._model = request.model
        self._id = ""
        self._calls: dict[int, _PendingCall] = {}
        self._signature: str | None = None
        self._finish: StreamFinish | None = None
        self._usage: Usage | None = None

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, ToolCallDelta):
            call = self._calls.setdefault(event.index, _PendingCall())
            call.id = call.id or event.id
            call.name = call.name or event.name
            call.signature = call.signature or event.signature
            call.arguments.append(event.arguments)
            return b""
        out = self._flush_calls()
        if isinstance(event, StreamStart):
            self._id = event.id
            self._model = event.model or self._model
        elif isinstance(event, TextDelta):
            if event.text:
                out += self._chunk([self._sign({"text": event.text})])
        elif isinstance(event, ReasoningDelta):
            if event.text:
                part = {"text": event.text, "thought": True}
                if event.signature:
                    part["thoughtSignature"] = event.signature
                out += self._chunk([part])
            elif event.signature:
                self._signature = event.signature
        elif isinstance(event, StreamFinish):
            self._finish = event
        else:
            self._usage = event.usage
        return out

    def close(self) -> bytes:
        out = self._flush_calls()
        if self._finish is None and self._usage is None and self._signature is None:
            return out
        extra: dict[str, Any] = {}
        if self._finish is not None:
            extra["finishReason"] = finish_value(self._finish.reason, self._finish.raw)
        usage = usage_metadata(self._usage) if self._usage is not None else None
        return out + self._chunk([self._sign({"text": ""})], extra, usage)

    def error(self, error: GatewayError) -> bytes:
        return self._flush_calls() + sse(orjson.dumps(error_body(error)))

    def _flush_calls(self) -> bytes:
        if not self._calls:
            return b""
        calls = [self._calls[i] for i in sorted(self._calls)]
        self._calls = {}
        parts = [call.part() for call in calls]
        if "thoughtSignature" not in parts[0]:
            self._sign(parts[0])
        return self._chunk(parts)

    def _sign(self, part: dict[str, Any]) -> dict[str, Any]:
        """A held signature goes on the next part, as Gemini itself places them."""
        if self._signature is not None:
            part["thoughtSignature"] = self._signature
            self._signature = None
        return part

    def _chunk(
        self,
        parts: list[dict[str, Any]],
        extra: dict[str, Any] | None = None,
        usage: dict[str, Any] | None = None,
    ) -> bytes:
        candidate = {"content": {"parts": parts, "role": "model"}, **(extra or {}), "index": 0}
        body: dict[str, Any] = {"candidates": [candidate]}
        if usage is not None:
            body["usageMetadata"] = usage
        body["modelVersion"] = self._model
        body["responseId"] = self._id
        return sse(orjson.dumps(body))
