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
from cloverleaf.formats.openai_chat.token_template import (
    TokenTemplate,
    strings,
    token_content,
)
from cloverleaf.formats.sse import SseParser, sse

DONE = b"data: [DONE]\n\n"


class OpenAIStreamDecoder:
    """Reads `chat.completion.chunk` events; tolerant of the family's deviations (checklist in
    openai-compatible.md): missing `[DONE]`, comments, usage inside `x_groq`, tool calls without
    `index`, reasoning under `reasoning_content` or `reasoning`.

    Token chunks that differ from the last one only in their text are read without parsing the
    rest (`TokenTemplate`), and a run of text deltas in one read becomes one `TextDelta`."""

    def __init__(self, provider: str = "") -> None:
        self._sse = SseParser()
        self._started = False
        self._provider = provider
        self._tool_index_by_id: dict[str, int] = {}
        self._deferred = DeferredError()
        self._last_index = 0
        self.finished = False  # `[DONE]` seen
        self._template: TokenTemplate | None = None
        self._relearn = 8  # a provider whose chunks differ beyond the text stops trying

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        return self._deferred.decode((self._sse.feed_data(chunk),), self._decode_all)

    def close(self) -> list[StreamEvent]:
        payloads = [e.data.encode() for e in self._sse.close() if e.data]
        events = self._deferred.decode((payloads,), self._decode_all)
        self._deferred.raise_pending()
        return events

    def _decode_all(self, payloads: list[bytes], out: list[StreamEvent]) -> None:
        text: list[str] = []  # the current run of content deltas, emitted as one event
        literals: list[bytes] = []  # token texts not parsed yet, all part of that run
        try:
            template = self._template
            prefix, suffix, start, end = _bounds(template)
            for payload in payloads:
                # a token chunk like the learnt one: only its text literal needs parsing (the
                # test is inlined, it runs per token; the rule is TokenTemplate's docstring's)
                if template and payload.startswith(prefix) and payload.endswith(suffix):
                    literal = payload[start:end]
                    last = len(literal) - 1
                    if (
                        last > 0
                        and literal[0] == 0x22
                        and literal.find(b'"', 1) == last
                        and literal[last - 1] != 0x5C
                    ):
                        literals.append(literal)
                        continue
                if literals:
                    text += strings(literals)
                    literals.clear()
                chunk = _loads_object(payload)
                if chunk is not None:
                    self._decode(chunk, out, text)
                    if self._learn(payload, chunk):
                        template = self._template
                        prefix, suffix, start, end = _bounds(template)
                elif payload.strip() == b"[DONE]":
                    self.finished = True
        finally:
            if literals:
                text += strings(literals)
            _flush(text, out)

    def _learn(self, payload: bytes, chunk: dict[str, Any]) -> bool:
        """Remember the bytes around a token chunk's text, so the next ones skip the parse."""
        if self._relearn <= 0:
            return False
        content = token_content(chunk)
        if content is None:
            return False
        self._relearn -= 1
        self._template = TokenTemplate.learn(payload, content)
        return True

    def _decode(self, chunk: dict[str, Any], out: list[StreamEvent], text: list[str]) -> None:
        if "error" in chunk:
            _flush(text, out)
            raise self._error(chunk["error"])
        if not self._started:
            self._started = True
            start = StreamStart(
                str(chunk.get("id", "")), str(chunk.get("model", "")), chunk.get("created") or 0
            )
            out.append(start)
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta")
            if delta:
                if len(delta) == 1 and type(content := delta.get("content")) is str:
                    text.append(content)  # the common token chunk
                else:
                    self._delta(delta, out, text)
            raw = choice.get("finish_reason")
            if raw:
                _flush(text, out)
                out.append(StreamFinish(finish_reason(raw), raw if isinstance(raw, str) else None))
        usage = chunk.get("usage")
        if usage is None and "x_groq" in chunk:
            usage = (chunk["x_groq"] or {}).get("usage")
        if usage:
            parsed = Usage.from_openai(usage)
            if parsed is not None:
                _flush(text, out)
                out.append(UsageReport(parsed))

    def _delta(self, delta: dict[str, Any], out: list[StreamEvent], text: list[str]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            _flush(text, out)
            out.append(ReasoningDelta(reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            text.append(content)
        calls = delta.get("tool_calls")
        if not calls:
            return
        _flush(text, out)
        for call in calls:
            function = call.get("function") or {}
            call_id = call.get("id")
            out.append(
                ToolCallDelta(
                    self._tool_index(call.get("index"), call_id),
                    str(function.get("arguments") or ""),
                    call_id,
                    function.get("name"),
                    thought_signature(call),
                )
            )

    def _tool_index(self, index: Any, call_id: str | None) -> int:
        """Key by `index`; servers that omit it are keyed by `id`; neither = the same call."""
        if isinstance(index, int):
            self._last_index = index
        elif call_id:
            self._last_index = self._tool_index_by_id.setdefault(
                call_id, len(self._tool_index_by_id)
            )
        return self._last_index

    def _error(self, error: Any) -> GatewayError:
        error = error if isinstance(error, dict) else {"message": error}
        return GatewayError(
            502,
            str(error.get("message", "upstream stream error")),
            type="server_error",
            code=str(error["code"]) if error.get("code") is not None else None,
            provider=self._provider or None,
        )


def _bounds(template: TokenTemplate | None) -> tuple[bytes, bytes, int, int]:
    """Prefix, suffix and where a literal starts and ends between them."""
    if template is None:
        return b"", b"", 0, 0
    return template.prefix, template.suffix, len(template.prefix), -len(template.suffix)


def _loads_object(payload: bytes) -> dict[str, Any] | None:
    """A JSON object payload; `[DONE]`, keep-alives and broken payloads are None."""
    if payload[:1] != b"{" and not payload.strip().startswith(b"{"):
        return None
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return value if type(value) is dict else None


def _flush(text: list[str], out: list[StreamEvent]) -> None:
    if text:
        joined = "".join(text)
        text.clear()
        if joined:
            out.append(TextDelta(joined))


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
