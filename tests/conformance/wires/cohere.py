"""The Cohere v2 chat wire: OpenAI-like messages, `thinking.token_budget`, and a
`response_format` that is always `json_object`, with an optional `json_schema` inside."""

from __future__ import annotations

from typing import Any

import orjson

from tests.conformance.wires.base import (
    JSON,
    Image,
    ToolResult,
    Turn,
    UsageSeen,
    Wire,
    named_sse,
    text_of,
)
from tests.conformance.wires.openai import image_from_url
from tests.mocks import cohere_upstream as mock


class CohereWire(Wire):
    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, arguments)], plan=""))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        self.mock.enqueue(mock.Text(text, thinking=thought))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        counts = {"input_tokens": 40, "output_tokens": 12}
        usage: JSON = {"billed_units": {"input_tokens": 30, "output_tokens": 10}, "tokens": counts}
        usage["cached_tokens"] = 16
        message = {"role": "assistant", "content": [{"type": "text", "text": text}]}
        if not stream:
            whole = {"id": "conformance", "finish_reason": "COMPLETE", "message": message}
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(whole | {"usage": usage})))
            return UsageSeen(40, 12, cached=16)
        start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}
        events: list[dict[str, Any]] = [
            {"id": "conformance", "type": "message-start", "delta": {"message": start}},
            {"type": "content-start", "index": 0,
             "delta": {"message": {"content": {"type": "text", "text": ""}}}},
            {"type": "content-delta", "index": 0,
             "delta": {"message": {"content": {"text": text}}}},
            {"type": "content-end", "index": 0},
            {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
        ]  # fmt: skip
        body = named_sse(events) + b"data: [DONE]\n\n"
        self.mock.enqueue(mock.RawBody(body=body, content_type="text/event-stream"))
        return UsageSeen(40, 12, cached=16)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05))  # always streams: a whole answer never ends

    def streamed(self, index: int) -> bool:
        return self.bodies()[index].get("stream") is True

    def system(self, body: JSON) -> str:
        return "".join(text_of(m["content"]) for m in body["messages"] if m["role"] == "system")

    def turns(self, body: JSON) -> list[Turn]:
        return [
            (m["role"], text_of(m.get("content")))
            for m in body["messages"]
            if m["role"] != "system"
        ]

    def images(self, body: JSON) -> list[Image]:
        return [
            image_from_url(part["image_url"]["url"])
            for m in body["messages"]
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if part.get("type") == "image_url"
        ]

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {t["function"]["name"]: t["function"]["parameters"] for t in body.get("tools", ())}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        return [
            (c["function"]["name"], orjson.loads(c["function"]["arguments"]))
            for m in body["messages"]
            if m["role"] == "assistant"
            for c in m.get("tool_calls", ())
        ]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        return [
            ToolResult(m["tool_call_id"], None, text_of(m["content"]))
            for m in body["messages"]
            if m["role"] == "tool"
        ]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        fmt = body.get("response_format")
        if not isinstance(fmt, dict) or fmt.get("type") != "json_object":
            return None
        schema = fmt.get("json_schema")
        return ("json_schema", schema) if schema else ("json_object", None)

    def reasoning(self, body: JSON) -> object:
        thinking = body.get("thinking") or {}
        return thinking.get("token_budget") if thinking.get("type") == "enabled" else None
