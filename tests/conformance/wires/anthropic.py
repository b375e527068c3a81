"""The Anthropic Messages wire: top-level `system`, content blocks, `thinking` budgets.

Messages has no JSON-object switch: the gateway asks for one in the system prompt, so that is
where `json_output` looks for it.
"""

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
from tests.mocks import anthropic_upstream as mock


class AnthropicWire(Wire):
    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, arguments)]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        self.mock.enqueue(mock.Thinking(thought, then=mock.Text(text)))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        counts = {"input_tokens": 20, "cache_creation_input_tokens": 4}
        counts["cache_read_input_tokens"] = 16
        message: JSON = {"id": "msg_conformance", "type": "message", "role": "assistant"}
        message |= {"model": "mock", "stop_sequence": None}
        if not stream:
            block = {"type": "text", "text": text}
            whole = message | {"content": [block], "stop_reason": "end_turn"}
            whole["usage"] = counts | {"output_tokens": 12}
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(whole)))
        else:
            start = message | {"content": [], "stop_reason": None, "usage": counts}
            start["usage"] = counts | {"output_tokens": 1}
            delta = {"type": "text_delta", "text": text}
            end = {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 12}}
            events: list[JSON] = [
                {"type": "message_start", "message": start},
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}},
                {"type": "content_block_delta", "index": 0, "delta": delta},
                {"type": "content_block_stop", "index": 0},
                {"type": "message_delta", **end},
                {"type": "message_stop"},
            ]  # fmt: skip
            body = named_sse(events)
            self.mock.enqueue(mock.RawBody(body=body, content_type="text/event-stream"))
        return UsageSeen(40, 12, cached=16)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05) if stream else mock.Delay(60))

    def streamed(self, index: int) -> bool:
        return self.bodies()[index].get("stream") is True

    def system(self, body: JSON) -> str:
        return text_of(body.get("system", ""))

    def turns(self, body: JSON) -> list[Turn]:
        return [(m["role"], text_of(m["content"])) for m in body["messages"]]

    def images(self, body: JSON) -> list[Image]:
        sources = [b["source"] for b in _blocks(body, "user") if b["type"] == "image"]
        return [
            Image(url=s["url"]) if s["type"] == "url" else Image(None, s["data"], s["media_type"])
            for s in sources
        ]

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {t["name"]: t["input_schema"] for t in body.get("tools", ())}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        blocks = _blocks(body, "assistant")
        return [(b["name"], b["input"]) for b in blocks if b["type"] == "tool_use"]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        return [
            ToolResult(b["tool_use_id"], None, text_of(b.get("content")))
            for b in _blocks(body, "user")
            if b["type"] == "tool_result"
        ]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        output = body.get("output_config", {}).get("format")
        if isinstance(output, dict) and output.get("type") == "json_schema":
            return "json_schema", output["schema"]
        return ("json_object", None) if "JSON" in self.system(body) else None

    def reasoning(self, body: JSON) -> object:
        thinking = body.get("thinking") or {}
        return thinking.get("budget_tokens") if thinking.get("type") == "enabled" else None


def _blocks(body: JSON, role: str) -> list[JSON]:
    out: list[JSON] = []
    for message in body["messages"]:
        content: Any = message["content"]
        if message["role"] == role and isinstance(content, list):
            out += content
    return out
