"""A chat answer rendered as a legacy completion: `text_completion` objects, whole or streamed."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    StreamEvent,
    StreamFinish,
    StreamStart,
    TextDelta,
    UsageReport,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.errors import default_type
from cloverleaf.formats.openai_chat.streaming import DONE
from cloverleaf.formats.sse import sse

OBJECT = "text_completion"


def usage_dict(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }


def _choice(text: str, finish: str | None) -> dict[str, Any]:
    return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}


def completion_from_core(response: ChatResponse) -> bytes:
    """Only the answer's text: reasoning has no place in a completion, and a completion request
    carries no tools, so there are no tool calls to render."""
    return orjson.dumps(
        {
            "id": response.id,
            "object": OBJECT,
            "created": response.created,
            "model": response.model,
            "choices": [_choice(response.message.text(), response.finish_reason.value)],
            "usage": usage_dict(response.usage),
        }
    )


class CompletionStreamEncoder:
    """Core events → `text_completion` chunks, `[DONE]` last; the usage chunk (no choices) only
    when the client asked for it with `stream_options.include_usage`."""

    content_type = "text/event-stream"

    def __init__(self, request: ChatRequest) -> None:
        options = request.extra.get("stream_options")
        self._want_usage = isinstance(options, dict) and options.get("include_usage") is True
        self._id = "cmpl-cloverleaf"
        self._model = request.model
        self._created = 0
        self._usage: Usage | None = None

    def _chunk(self, choices: list[dict[str, Any]], **more: Any) -> bytes:
        envelope = {
            "id": self._id,
            "object": OBJECT,
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }
        return sse(orjson.dumps({**envelope, **more}))

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart):
            self._id = event.id or self._id
            self._model = event.model or self._model
            self._created = event.created
            return b""
        if isinstance(event, TextDelta):
            return self._chunk([_choice(event.text, None)]) if event.text else b""
        if isinstance(event, StreamFinish):
            return self._chunk([_choice("", event.reason.value)])
        if isinstance(event, UsageReport):
            self._usage = event.usage
        return b""  # reasoning and tool-call deltas have no completion form

    def close(self) -> bytes:
        if self._want_usage and self._usage is not None:
            return self._chunk([], usage=usage_dict(self._usage)) + DONE
        return DONE

    def error(self, error: GatewayError) -> bytes:
        body = {
            "message": error.message,
            "type": error.type or default_type(error.status),
            "param": error.param,
            "code": error.code,
        }
        return sse(orjson.dumps({"error": body}))
