"""OpenAI chat streams ⇄ core stream events."""

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
from cloverleaf.formats.deferred import DeferredError
from cloverleaf.formats.openai_chat.errors import default_type
from cloverleaf.formats.openai_chat.extensions import signature_extra, thought_signature
from cloverleaf.formats.openai_chat.from_core import usage_dict
from cloverleaf.formats.openai_chat.to_core import finish_reason
from cloverleaf.formats.sse import SseParser, sse

DONE = b"data: [DONE]\n\n"


class OpenAIStreamDecoder:
    """Reads `chat.completion.chunk` events; tolerant of the family's deviations (checklist in
    openai-compatible.md): missing `[DONE]`, comments, usage inside `x_groq`, tool calls without
    `index`, reasoning under `reasoning_content` or `reasoning`."""

    def __init__(self, provider: str = "") -> None:
        self._sse = SseParser()
        self._started = False
        self._provider = provider
        self._tool_index_by_id: dict[str, int] = {}
        self._ids_seen: set[str] = set()
        self._deferred = DeferredError()
        self._last_index = 0

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._deferred.decode(self._sse.feed_data(chunk), self._decode)

    def close(self) -> list[StreamEvent]:
        events = self._deferred.decode(
            [e.data.encode() for e in self._sse.close() if e.data], self._decode
        )
        self._deferred.raise_pending()
        return events

    def _decode(self, data: bytes, out: list[StreamEvent]) -> None:
        if data[:1] != b"{":  # `[DONE]`, blank keep-alives
            data = data.strip()
            if not data.startswith(b"{"):
                return
        try:
            chunk: Any = orjson.loads(data)
        except orjson.JSONDecodeError:
            return
        if not isinstance(chunk, dict):
            return
        if "error" in chunk:
            error = (
                chunk["error"] if isinstance(chunk["error"], dict) else {"message": chunk["error"]}
            )
            raise GatewayError(
                502,
                str(error.get("message", "upstream stream error")),
                type="server_error",
                code=str(error["code"]) if error.get("code") is not None else None,
                provider=self._provider or None,
            )
        if not self._started:
            self._started = True
            out.append(
                StreamStart(
                    str(chunk.get("id", "")), str(chunk.get("model", "")), chunk.get("created") or 0
                )
            )
        for choice in chunk.get("choices") or ():
            self._choice(choice, out)
        usage = chunk.get("usage") or (chunk.get("x_groq") or {}).get("usage")
        parsed = Usage.from_openai(usage)
        if parsed is not None:
            out.append(UsageReport(parsed))

    def _choice(self, choice: dict[str, Any], out: list[StreamEvent]) -> None:
        delta = choice.get("delta") or {}
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            out.append(ReasoningDelta(reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            out.append(TextDelta(content))
        for position, call in enumerate(delta.get("tool_calls") or ()):
            function = call.get("function") or {}
            index = call.get("index")
            call_id = call.get("id")
            if not isinstance(index, int):
                index = self._tool_index_by_id.setdefault(
                    call_id or "", len(self._tool_index_by_id)
                )
                index = index if call_id else position
            out.append(
                ToolCallDelta(
                    index,
                    str(function.get("arguments") or ""),
                    call_id,
                    function.get("name"),
                    thought_signature(call),
                )
            )
        if choice.get("finish_reason"):
            raw = choice["finish_reason"]
            out.append(StreamFinish(finish_reason(raw), raw if isinstance(raw, str) else None))

    def _tool_index(self, index: Any, call_id: str | None) -> int:
        """Key by `index`; servers that omit it are keyed by `id`; neither = the same call."""
        if isinstance(index, int):
            self._last_index = index
        elif call_id:
            self._last_index = self._tool_index_by_id.setdefault(
                call_id, len(self._tool_index_by_id)
            )
        return self._last_index


class OpenAIStreamEncoder:
    """Core events → OpenAI chunks; the usage chunk only when the client asked for it."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        options = request.extra.get("stream_options")
        self._want_usage = isinstance(options, dict) and options.get("include_usage") is True
        self._id = "chatcmpl-cloverleaf"
        self._model = request.model
        self._created = 0
        self._usage: Usage | None = None

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse(
            orjson.dumps(
                {
                    "id": self._id,
                    "object": "chat.completion.chunk",
                    "created": self._created,
                    "model": self._model,
                    "choices": [choice],
                }
            )
        )

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            self._id = event.id or self._id
            self._created = event.created
            return self._chunk({"role": "assistant", "content": ""})
        if isinstance(event, TextDelta):
            return self._chunk({"content": event.text})
        if isinstance(event, ReasoningDelta):
            return self._chunk({"reasoning_content": event.text}) if event.text else b""
        if isinstance(event, ToolCallDelta):
            call: dict[str, Any] = {"index": event.index}
            if event.id is not None:
                call["id"] = event.id
                call["type"] = "function"
            function: dict[str, Any] = {"arguments": event.arguments}
            if event.name is not None:
                function["name"] = event.name
            call["function"] = function
            if event.signature:
                call["extra_content"] = signature_extra(event.signature)
            return self._chunk({"tool_calls": [call]})
        if isinstance(event, StreamFinish):
            return self._chunk({}, event.reason.value)
        self._usage = event.usage
        return b""

    def close(self) -> bytes:
        if self._want_usage and self._usage is not None:
            usage = orjson.dumps(
                {
                    "id": self._id,
                    "object": "chat.completion.chunk",
                    "created": self._created,
                    "model": self._model,
                    "choices": [],
                    "usage": usage_dict(self._usage),
                }
            )
            return sse(usage) + DONE
        return DONE

    def error(self, error: GatewayError) -> bytes:
        body = {
            "message": error.message,
            "type": error.type or default_type(error.status),
            "param": error.param,
            "code": error.code,
        }
        return sse(orjson.dumps({"error": body}))
