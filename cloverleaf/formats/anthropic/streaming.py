"""Anthropic message streams ⇄ core stream events (anthropic.md "Streaming", mapping.md §10).

A `redacted_thinking` block is one redacted ReasoningDelta carrying its opaque `data`. A
signature with no thinking text before it (Gemini signs non-thought parts) opens a thinking
block with empty text, as the non-streaming encoder writes it.
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
from cloverleaf.formats.anthropic.call_ids import encode_call_id
from cloverleaf.formats.anthropic.errors import error_body, stream_error
from cloverleaf.formats.anthropic.stop_reasons import finish_to_core, stop_reason
from cloverleaf.formats.anthropic.usage import merge_usage, usage_from_core, usage_to_core
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.sse import SseEvent, SseParser, sse


class AnthropicStreamDecoder:
    """Upstream SSE → core events. Tool calls are renumbered 0, 1, ... because Anthropic
    numbers them together with text and thinking blocks. Unknown events are ignored."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self, provider: str = "") -> None:
        self._sse = SseParser()
        self._provider = provider
        self._tools: dict[int, int] = {}  # content block index → tool call index
        self._usage: dict[str, Any] = {}
        self._usage_sent = False
        self._deferred = DeferredError()

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._decode_frames(self._sse.feed(chunk))

    def close(self) -> list[StreamEvent]:
        out = self._decode_frames(self._sse.close())
        self._deferred.raise_pending()
        if self._usage and not self._usage_sent:
            # cut off before message_delta: the prompt was still billed
            self._usage_sent = True
            out.append(UsageReport(usage_to_core(self._usage)))
        return out

    def _decode_frames(self, frames: list[SseEvent]) -> list[StreamEvent]:
        return self._deferred.decode(frames, lambda frame, out: self._decode(frame.data, out))

    def _decode(self, data: str, out: list[StreamEvent]) -> None:
        try:
            payload: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "error":
            raise stream_error(payload, self._provider)
        if kind == "message_start":
            message = _obj(payload.get("message"))
            self._usage = dict(_obj(message.get("usage")))
            out.append(StreamStart(str(message.get("id", "")), str(message.get("model", ""))))
        elif kind == "content_block_start":
            self._block_start(payload.get("index"), _obj(payload.get("content_block")), out)
        elif kind == "content_block_delta":
            self._block_delta(payload.get("index"), _obj(payload.get("delta")), out)
        elif kind == "message_delta":
            raw = _obj(payload.get("delta")).get("stop_reason")
            if isinstance(raw, str):
                out.append(StreamFinish(finish_to_core(raw), raw))
            self._usage = merge_usage(self._usage, payload.get("usage"))
            self._usage_sent = True
            out.append(UsageReport(usage_to_core(self._usage)))

    def _block_start(self, index: Any, block: dict[str, Any], out: list[StreamEvent]) -> None:
        if not isinstance(index, int):
            return
        kind = str(block.get("type"))
        if kind == "text" and block.get("text"):
            out.append(TextDelta(str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            out.append(ReasoningDelta(str(block["thinking"])))
        elif kind == "redacted_thinking":
            out.append(ReasoningDelta(redacted=True, data=str(block.get("data", ""))))
        elif kind == "tool_use":
            self._tools[index] = len(self._tools)
            given = block.get("input")
            arguments = orjson.dumps(given).decode() if given else ""
            call_id, name = str(block.get("id", "")), str(block.get("name", ""))
            out.append(ToolCallDelta(self._tools[index], arguments, call_id, name))

    def _block_delta(self, index: Any, delta: dict[str, Any], out: list[StreamEvent]) -> None:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            out.append(TextDelta(str(delta["text"])))
        elif kind == "thinking_delta" and delta.get("thinking"):
            out.append(ReasoningDelta(str(delta["thinking"])))
        elif kind == "signature_delta" and delta.get("signature"):
            out.append(ReasoningDelta("", str(delta["signature"])))
        elif kind == "input_json_delta" and delta.get("partial_json") and index in self._tools:
            out.append(ToolCallDelta(self._tools[index], str(delta["partial_json"])))


class AnthropicStreamEncoder:
    """Core events → Anthropic SSE for a client. Blocks open and close as the kind of delta
    changes; `message_delta` waits until both the finish and the usage are known, since the
    core sends usage after the finish but Anthropic carries them in one event."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        self._model = request.model
        self._started = False
        self._blocks = 0  # content blocks opened so far; the next one gets this index
        self._open: str | None = None  # "text", "thinking", "tool" or None
        self._signed = False  # the open thinking block already has its signature
        self._tool_blocks: dict[int, int] = {}  # tool call index → content block index
        self._finish: StreamFinish | None = None
        self._usage: Usage | None = None
        self._delta_sent = False

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            return self._start(event.id, event.model)
        out = b"" if self._started else self._start("", "")
        if isinstance(event, TextDelta):
            return out + self._text(event.text)
        if isinstance(event, ReasoningDelta):
            return out + self._reasoning(event)
        if isinstance(event, ToolCallDelta):
            return out + self._tool(event)
        if isinstance(event, StreamFinish):
            self._finish = event
            out += self._close_block()
        else:
            self._usage = event.usage
        if self._finish is not None and self._usage is not None and not self._delta_sent:
            out += self._message_delta()
        return out

    def close(self) -> bytes:
        out = b"" if self._started else self._start("", "")
        out += self._close_block()
        if not self._delta_sent:
            out += self._message_delta()
        return out + _event("message_stop", {"type": "message_stop"})

    def error(self, error: GatewayError) -> bytes:
        return _event("error", error_body(error))

    def _start(self, message_id: str, model: str) -> bytes:
        if self._started:
            return b""
        self._started = True
        message: dict[str, Any] = {
            "id": message_id or "msg_cloverleaf",
            "type": "message",
            "role": "assistant",
            "model": model or self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # not known until the end; message_delta carries the real counts
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return _event("message_start", {"type": "message_start", "message": message})

    def _text(self, text: str) -> bytes:
        if not text:
            return b""
        out = (
            b"" if self._open == "text" else self._open_block("text", {"type": "text", "text": ""})
        )
        return out + self._delta({"type": "text_delta", "text": text})

    def _reasoning(self, event: ReasoningDelta) -> bytes:
        if event.redacted:
            block = {"type": "redacted_thinking", "data": event.data or ""}
            return self._open_block("redacted", block) + self._close_block()
        out = b""
        thinking_open = self._open == "thinking" and not self._signed
        if (event.text or event.signature is not None) and not thinking_open:
            block = {"type": "thinking", "thinking": "", "signature": ""}
            out += self._open_block("thinking", block)
        if event.text:
            out += self._delta({"type": "thinking_delta", "thinking": event.text})
        if event.signature is not None:
            self._signed = True
            out += self._delta({"type": "signature_delta", "signature": event.signature})
        return out

    def _tool(self, event: ToolCallDelta) -> bytes:
        out = b""
        block = self._tool_blocks.get(event.index)
        if block is None:
            call_id = encode_call_id(event.id or "", event.signature)
            start = {"type": "tool_use", "id": call_id, "name": event.name or ""}
            out += self._open_block("tool", {**start, "input": {}})
            block = self._tool_blocks[event.index] = self._blocks - 1
        if event.arguments:
            # a late fragment for an earlier call still names its own block index
            delta = {"type": "input_json_delta", "partial_json": event.arguments}
            out += _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": block, "delta": delta},
            )
        return out

    def _open_block(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close_block()
        self._open, self._signed = kind, False
        self._blocks += 1
        payload = {"type": "content_block_start", "index": self._blocks - 1, "content_block": block}
        return out + _event("content_block_start", payload)

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        payload = {"type": "content_block_stop", "index": self._blocks - 1}
        return _event("content_block_stop", payload)

    def _delta(self, delta: dict[str, Any]) -> bytes:
        payload = {"type": "content_block_delta", "index": self._blocks - 1, "delta": delta}
        return _event("content_block_delta", payload)

    def _message_delta(self) -> bytes:
        self._delta_sent = True
        finish = self._finish
        reason = stop_reason(finish.reason, finish.raw) if finish else "end_turn"
        payload = {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
            "usage": usage_from_core(self._usage or Usage()),
        }
        return _event("message_delta", payload)


def _obj(value: Any) -> dict[str, Any]:
    """Tolerate a malformed event: a wrong-typed field reads as empty, never crashes the relay."""
    return value if isinstance(value, dict) else {}


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return sse(orjson.dumps(payload), name)
