"""The OpenAI Chat Completions wire: OpenAI-compatible vendors, Azure, Cloudflare's /ai/v1.

The OpenAI and Cloudflare mocks share reply names (`Text`, `ToolCalls`, `Error`, `RawBody`,
`SlowStream`), so one wire class serves both, given the mock's module. OpenAI has no reasoning
text on the wire, so reasoning answers use the de-facto `reasoning_content` extension.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import orjson

from tests.conformance.wires.base import JSON, Image, ToolResult, Turn, UsageSeen, Wire, text_of
from tests.mocks import cloudflare_upstream, openai_upstream

_SYSTEM_ROLES = ("system", "developer")


class OpenAIReader(Wire):
    """Readers for OpenAI-shaped request bodies (Cloudflare's run envelope reuses most)."""

    reasoning_high: object = "high"

    def streamed(self, index: int) -> bool:
        return self.bodies()[index].get("stream") is True

    def system(self, body: JSON) -> str:
        return "".join(text_of(m["content"]) for m in _messages(body) if m["role"] in _SYSTEM_ROLES)

    def turns(self, body: JSON) -> list[Turn]:
        return [
            (m["role"], text_of(m.get("content")))
            for m in _messages(body)
            if m["role"] not in _SYSTEM_ROLES
        ]

    def images(self, body: JSON) -> list[Image]:
        urls = [
            part["image_url"]["url"]
            for m in _messages(body)
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if part.get("type") == "image_url"
        ]
        return [image_from_url(url) for url in urls]

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {t["function"]["name"]: t["function"]["parameters"] for t in body.get("tools", ())}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        return [
            (call["function"]["name"], _arguments(call["function"]["arguments"]))
            for m in _messages(body)
            if m["role"] == "assistant"
            for call in m.get("tool_calls") or ()
        ]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        return [
            ToolResult(m.get("tool_call_id"), m.get("name"), text_of(m.get("content")))
            for m in _messages(body)
            if m["role"] == "tool"
        ]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        fmt = body.get("response_format")
        if not isinstance(fmt, dict) or fmt.get("type") == "text":
            return None
        if fmt["type"] == "json_schema":
            return "json_schema", fmt["json_schema"]["schema"]
        return str(fmt["type"]), None

    def reasoning(self, body: JSON) -> object:
        return body.get("reasoning_effort")


class OpenAIWire(OpenAIReader):
    """`replies` is the mock's module: `openai_upstream` (OpenAI, Azure) or
    `cloudflare_upstream` (Cloudflare's OpenAI surface)."""

    def __init__(self, mock: Any, replies: ModuleType = openai_upstream) -> None:
        super().__init__(mock)
        self.replies = replies

    def text(self, text: str) -> None:
        self.mock.enqueue(self.replies.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(self.replies.ToolCalls([(name, orjson.dumps(arguments).decode())]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        message = {"role": "assistant", "content": text, "reasoning_content": thought}
        deltas = [{"role": "assistant", "reasoning_content": thought}, {"content": text}]
        self.mock.enqueue(self._raw(message, deltas, _usage(5, 3), stream))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        usage = _usage(40, 12) | {
            "prompt_tokens_details": {"cached_tokens": 16},
            "completion_tokens_details": {"reasoning_tokens": 5},
        }
        message = {"role": "assistant", "content": text}
        self.mock.enqueue(self._raw(message, [message], usage, stream))
        return UsageSeen(40, 12, cached=16, reasoning=5)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(self.replies.Error(status, message))

    def hang(self, stream: bool) -> None:
        if stream or self.replies is cloudflare_upstream:
            self.mock.enqueue(self.replies.SlowStream(interval=0.05))
        else:
            self.mock.enqueue(self.replies.Delay(60))

    def _raw(self, message: JSON, deltas: list[JSON], usage: JSON, stream: bool) -> Any:
        head = {"id": "chatcmpl-conformance", "created": 1, "model": "mock-model"}
        if not stream:
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            whole = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            return self.replies.RawBody(body=orjson.dumps(whole))
        head["object"] = "chat.completion.chunk"
        chunks = [{**head, "choices": [{"index": 0, "delta": d}]} for d in deltas]
        chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({**head, "choices": [], "usage": usage})
        sse = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks)
        return self.replies.RawBody(
            body=sse + b"data: [DONE]\n\n", content_type="text/event-stream"
        )


def _messages(body: JSON) -> list[JSON]:
    messages: list[JSON] = body.get("messages", [])
    return messages


def image_from_url(url: str) -> Image:
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return Image(data=data, media_type=media_type)
    return Image(url=url)


def _arguments(raw: Any) -> JSON:
    value: Any = orjson.loads(raw) if isinstance(raw, str) else raw
    assert isinstance(value, dict), raw
    return value


def _usage(prompt: int, completion: int) -> JSON:
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}  # fmt: skip
