"""Core stream events → Responses named SSE events (openai.md §5 "Streaming").

Every event is `event: <type>` + `data:` repeating `type` with an increasing `sequence_number`.
Output items open and close as the kind of delta changes (reasoning, message text, each function
call); the terminal `response.completed` (or `response.incomplete`) waits for the stream's end,
since the core reports usage after the finish and the terminal event carries both. There is no
`[DONE]`. A mid-stream failure is an `error` event followed by `response.failed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
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
from cloverleaf.formats.openai_responses.response import (
    Echo,
    envelope,
    function_call_item,
    message_item,
    output_text,
    reasoning_item,
    response_id,
    status_of,
)
from cloverleaf.formats.sse import sse

#: a failed response's `error.code` is one of OpenAI's fixed names (the `error` event before it
#: carries the gateway's own code)
_FAILURE_CODES = {400: "invalid_prompt", 429: "rate_limit_exceeded"}


@dataclass(slots=True)
class _Item:
    """The output item being streamed: its kind, place, id and what it has said so far."""

    kind: str  # "message", "reasoning" or "function_call"
    index: int
    id: str
    text: list[str] = field(default_factory=list)
    signature: str | None = None
    call: ToolCall | None = None


class ResponsesStreamEncoder:
    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest, echo: Echo) -> None:
        self._echo = echo
        self._model = request.model
        self._id = response_id(echo.id or "cloverleaf")
        self._seq = 0
        self._started = False
        self._output: list[dict[str, Any]] = []
        self._open: _Item | None = None
        self._calls: dict[int, _Item] = {}  # core tool index → its item
        self._finish: StreamFinish | None = None
        self._usage: Usage | None = None

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            return self._start(event.id, event.model)
        out = self._start("", "")
        if isinstance(event, TextDelta):
            return out + self._text(event.text)
        if isinstance(event, ReasoningDelta):
            return out + self._reasoning(event)
        if isinstance(event, ToolCallDelta):
            return out + self._tool(event)
        if isinstance(event, StreamFinish):
            self._finish = event
            return out + self._close_item()
        if isinstance(event, UsageReport):
            self._usage = event.usage
        return out

    def close(self) -> bytes:
        out = self._start("", "") + self._close_item()
        status, incomplete = status_of(self._finish.reason if self._finish else None)
        body = self._response(status, usage=self._usage, incomplete=incomplete)
        return out + self._event(f"response.{status}", {"response": body})

    def error(self, error: GatewayError) -> bytes:
        out = self._start("", "")
        code = error.code or error.type
        detail = {"code": code, "message": error.message, "param": error.param}
        out += self._event("error", detail)
        failure = {
            "code": _FAILURE_CODES.get(error.status, "server_error"),
            "message": error.message,
        }
        body = self._response("failed", usage=self._usage, error=failure)
        return out + self._event("response.failed", {"response": body})

    # -- framing -------------------------------------------------------------------------

    def _event(self, kind: str, payload: dict[str, Any]) -> bytes:
        data = orjson.dumps({"type": kind, "sequence_number": self._seq, **payload})
        self._seq += 1
        return sse(data, kind)

    def _response(self, status: str, **more: Any) -> dict[str, Any]:
        return envelope(self._id, self._model, self._echo, status, list(self._output), **more)

    def _start(self, upstream_id: str, model: str) -> bytes:
        if self._started:
            return b""
        self._started = True
        if upstream_id:
            self._id = response_id(upstream_id)
        self._model = model or self._model
        body = self._response("in_progress")
        created = self._event("response.created", {"response": body})
        return created + self._event("response.in_progress", {"response": body})

    def _place(self, item: _Item) -> dict[str, Any]:
        return {"item_id": item.id, "output_index": item.index}

    def _open_item(self, kind: str, item_id: str, wire: dict[str, Any]) -> tuple[_Item, bytes]:
        out = self._close_item()
        item = _Item(kind, len(self._output), item_id)
        self._output.append(wire)
        self._open = item
        added = {"output_index": item.index, "item": wire}
        return item, out + self._event("response.output_item.added", added)

    def _close_item(self) -> bytes:
        item, self._open = self._open, None
        if item is None:
            return b""
        text = "".join(item.text)
        place = self._place(item)
        out = b""
        if item.kind == "message":
            done = {**place, "content_index": 0}
            out += self._event("response.output_text.done", {**done, "text": text, "logprobs": []})
            out += self._event("response.content_part.done", {**done, "part": output_text(text)})
            truncated = self._finish is not None and status_of(self._finish.reason)[1]
            wire = message_item(item.id, text, "incomplete" if truncated else "completed")
        elif item.kind == "reasoning":
            if text:
                done = {**place, "summary_index": 0}
                out += self._event("response.reasoning_summary_text.done", {**done, "text": text})
                part = {"type": "summary_text", "text": text}
                out += self._event("response.reasoning_summary_part.done", {**done, "part": part})
            wire = reasoning_item(item.id, text, item.signature)
        else:
            assert item.call is not None
            call = ToolCall(item.call.id, item.call.name, text)
            done = {**place, "arguments": text, "name": call.name}
            out += self._event("response.function_call_arguments.done", done)
            wire = function_call_item(call, "completed")
        self._output[item.index] = wire
        return out + self._event(
            "response.output_item.done", {"output_index": item.index, "item": wire}
        )

    # -- deltas --------------------------------------------------------------------------

    def _text(self, text: str) -> bytes:
        if not text:
            return b""
        out = b""
        item = self._open
        if item is None or item.kind != "message":
            item_id = f"msg_{self._id.removeprefix('resp_')}_{len(self._output)}"
            wire = {
                "id": item_id,
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            item, out = self._open_item("message", item_id, wire)
            part = {**self._place(item), "content_index": 0, "part": output_text("")}
            out += self._event("response.content_part.added", part)
        item.text.append(text)
        delta = {**self._place(item), "content_index": 0, "delta": text, "logprobs": []}
        return out + self._event("response.output_text.delta", delta)

    def _reasoning(self, event: ReasoningDelta) -> bytes:
        if event.redacted or not (event.text or event.signature):
            return b""  # a redacted block has nothing to show a Responses client
        out = b""
        item = self._open
        if item is None or item.kind != "reasoning" or item.signature is not None:
            item_id = f"rs_{self._id.removeprefix('resp_')}_{len(self._output)}"
            wire = {"id": item_id, "type": "reasoning", "summary": []}
            item, out = self._open_item("reasoning", item_id, wire)
        if event.text:
            if not item.text:
                part = {"type": "summary_text", "text": ""}
                added = {**self._place(item), "summary_index": 0, "part": part}
                out += self._event("response.reasoning_summary_part.added", added)
            item.text.append(event.text)
            delta = {**self._place(item), "summary_index": 0, "delta": event.text}
            out += self._event("response.reasoning_summary_text.delta", delta)
        if event.signature:
            item.signature = event.signature
        return out

    def _tool(self, event: ToolCallDelta) -> bytes:
        out = b""
        item = self._calls.get(event.index)
        if item is None:
            call = ToolCall(event.id or f"call_{event.index}", event.name or "", "")
            wire = function_call_item(call, "in_progress")
            item, out = self._open_item("function_call", wire["id"], wire)
            item.call = call
            self._calls[event.index] = item
        if not event.arguments:
            return out
        item.text.append(event.arguments)
        delta = {**self._place(item), "delta": event.arguments}
        return out + self._event("response.function_call_arguments.delta", delta)
