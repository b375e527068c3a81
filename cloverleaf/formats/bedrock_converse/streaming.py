"""ConverseStream ⇄ core stream events over the AWS binary event-stream (bedrock.md).

Bedrock numbers content blocks across text, reasoning and tool use; core tool-call indexes count
tool calls only (mapping.md §10), so the decoder keeps a block → call map and the encoder the
reverse. `metadata` (usage) arrives after `messageStop`, the order core events use too.
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
from cloverleaf.formats.bedrock_converse.errors import stream_exception
from cloverleaf.formats.bedrock_converse.eventstream import (
    CONTENT_TYPE,
    EventMessage,
    EventStreamDecoder,
    event_frame,
    exception_frame,
)
from cloverleaf.formats.bedrock_converse.from_core import stop_reason, usage_dict
from cloverleaf.formats.bedrock_converse.to_core import finish_reason, usage_to_core

JSON = dict[str, Any]


class BedrockStreamDecoder:
    """Frames → core events. An exception frame raises GatewayError; events decoded before it
    in the same chunk are returned first and the error is raised on the next call, so what a
    client sees does not depend on how the bytes were split."""

    finished = False  # no end marker tracked: the body's end is the end

    def __init__(self, provider: str = "") -> None:
        self._frames = EventStreamDecoder()
        self._provider = provider
        self._started = False
        self._tool_by_block: dict[int, int] = {}
        self._error: GatewayError | None = None

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        self._raise_pending()
        out: list[StreamEvent] = []
        try:
            messages = self._frames.feed(chunk)
        except GatewayError as error:
            error.provider = self._provider or None
            raise
        for message in messages:
            try:
                self._decode(message, out)
            except GatewayError as error:
                if not out:
                    raise
                self._error = error
                break
        return out

    def close(self) -> list[StreamEvent]:
        self._raise_pending()
        try:
            self._frames.close()
        except GatewayError as error:
            error.provider = self._provider or None
            raise
        return []

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise self._error

    def _decode(self, message: EventMessage, out: list[StreamEvent]) -> None:
        kind = message.header(":message-type") or "event"
        if kind == "exception":
            name = message.header(":exception-type") or "internalServerException"
            raise stream_exception(name, message.payload, self._provider)
        if kind == "error":
            raise GatewayError(
                502,
                message.header(":error-message") or "upstream stream error",
                type="server_error",
                code=message.header(":error-code"),
                provider=self._provider or None,
            )
        try:
            payload = orjson.loads(message.payload) if message.payload else {}
        except orjson.JSONDecodeError:
            raise GatewayError(
                502, "unreadable ConverseStream event payload", type="server_error"
            ) from None
        if not isinstance(payload, dict):
            return
        if not self._started:
            self._started = True
            out.append(StreamStart("", ""))
        self._event(message.header(":event-type"), payload, out)

    def _event(self, name: str | None, payload: JSON, out: list[StreamEvent]) -> None:
        block = payload.get("contentBlockIndex")
        if name == "contentBlockStart":
            use = (payload.get("start") or {}).get("toolUse")
            if isinstance(use, dict):
                index = self._tool_index(block)
                out.append(ToolCallDelta(index, "", str(use.get("toolUseId", "")), use.get("name")))
        elif name == "contentBlockDelta":
            self._delta(block, payload.get("delta") or {}, out)
        elif name == "messageStop":
            raw = payload.get("stopReason")
            out.append(StreamFinish(finish_reason(raw), raw if isinstance(raw, str) else None))
        elif name == "metadata":
            out.append(UsageReport(usage_to_core(payload.get("usage"))))

    def _delta(self, block: Any, delta: JSON, out: list[StreamEvent]) -> None:
        text = delta.get("text")
        if isinstance(text, str) and text:
            out.append(TextDelta(text))
        use = delta.get("toolUse")
        if isinstance(use, dict) and isinstance(use.get("input"), str):
            out.append(ToolCallDelta(self._tool_index(block), use["input"]))
        reasoning = delta.get("reasoningContent")
        if isinstance(reasoning, dict):
            if isinstance(reasoning.get("text"), str) and reasoning["text"]:
                out.append(ReasoningDelta(reasoning["text"]))
            if isinstance(reasoning.get("signature"), str):
                out.append(ReasoningDelta("", reasoning["signature"]))
            if isinstance(reasoning.get("redactedContent"), str):
                out.append(ReasoningDelta(redacted=True, data=reasoning["redactedContent"]))

    def _tool_index(self, block: Any) -> int:
        key = block if isinstance(block, int) else -1
        return self._tool_by_block.setdefault(key, len(self._tool_by_block))


#: the exception members the ConverseStream union declares (typed SDKs know only these)
_STREAM_EXCEPTIONS = {
    400: "validationException",
    429: "throttlingException",
    503: "serviceUnavailableException",
}


class BedrockStreamEncoder:
    """Core events → ConverseStream frames for a Converse-speaking client."""

    content_type = CONTENT_TYPE

    def __init__(self, request: ChatRequest) -> None:
        self._started = False
        self._block = -1
        self._open: str | None = None  # "text", "reasoning", "redacted" or "tool:<index>"

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            return self._start()
        out = self._start()
        if isinstance(event, TextDelta):
            out += self._switch("text") + self._delta({"text": event.text})
        elif isinstance(event, ReasoningDelta) and event.redacted:
            # one block each, never mixed with readable text
            out += self._stop_block() + self._switch("redacted")
            out += self._delta({"reasoningContent": {"redactedContent": event.data or ""}})
        elif isinstance(event, ReasoningDelta):
            out += self._switch("reasoning")
            if event.text:
                out += self._delta({"reasoningContent": {"text": event.text}})
            if event.signature is not None:
                out += self._delta({"reasoningContent": {"signature": event.signature}})
        elif isinstance(event, ToolCallDelta):
            out += self._tool(event)
        elif isinstance(event, StreamFinish):
            out += self._stop_block()
            reason = stop_reason(event.reason, event.raw)
            out += _frame("messageStop", {"stopReason": reason})
        else:
            out += _frame(
                "metadata", {"usage": usage_dict(event.usage), "metrics": {"latencyMs": 0}}
            )
        return out

    def close(self) -> bytes:
        """ConverseStream has no end marker; only an open block is closed."""
        return self._stop_block()

    def error(self, error: GatewayError) -> bytes:
        default = "internalServerException" if error.status >= 500 else "validationException"
        name = _STREAM_EXCEPTIONS.get(error.status, default)
        return exception_frame(name, orjson.dumps({"message": error.message}))

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return _frame("messageStart", {"role": "assistant"})

    def _tool(self, event: ToolCallDelta) -> bytes:
        out = b""
        key = f"tool:{event.index}"
        if self._open != key:
            out += self._stop_block()
            self._block += 1
            self._open = key
            use = {"toolUseId": event.id or "", "name": event.name or ""}
            out += _frame(
                "contentBlockStart", {"contentBlockIndex": self._block, "start": {"toolUse": use}}
            )
        if event.arguments:
            out += self._delta({"toolUse": {"input": event.arguments}})
        return out

    def _switch(self, kind: str) -> bytes:
        """Text and reasoning blocks have no start event: a new index is enough."""
        if self._open == kind:
            return b""
        out = self._stop_block()
        self._block += 1
        self._open = kind
        return out

    def _stop_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _frame("contentBlockStop", {"contentBlockIndex": self._block})

    def _delta(self, delta: JSON) -> bytes:
        return _frame("contentBlockDelta", {"contentBlockIndex": self._block, "delta": delta})


def _frame(event_type: str, payload: JSON) -> bytes:
    return event_frame(event_type, orjson.dumps(payload))
