"""Ollama's native `/api/chat` wire: images as bare base64 beside the text, `format`, `think`.

Ollama takes no image URLs (the gateway must refuse them) and reports no cached or reasoning
token counts: only `prompt_eval_count` and `eval_count`.
"""

from __future__ import annotations

import orjson

from tests.conformance.wires.base import JSON, Image, ToolResult, Turn, UsageSeen, Wire
from tests.mocks import ollama_upstream as mock

_HEAD = {"model": "llama3.2:latest", "created_at": "2025-01-01T00:00:00Z"}


class OllamaWire(Wire):
    image_urls = False
    reasoning_high: object = "high"

    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, arguments)]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        self.mock.enqueue(mock.Thinking(thought, text))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        final: JSON = _HEAD | {"message": {"role": "assistant", "content": "" if stream else text}}
        final |= {"done": True, "done_reason": "stop", "total_duration": 1, "load_duration": 1}
        final |= {"prompt_eval_count": 40, "prompt_eval_duration": 1, "eval_count": 12}
        final["eval_duration"] = 1
        if not stream:
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(final)))
        else:
            piece = _HEAD | {"message": {"role": "assistant", "content": text}, "done": False}
            lines = orjson.dumps(piece) + b"\n" + orjson.dumps(final) + b"\n"
            self.mock.enqueue(mock.RawBody(body=lines, content_type="application/x-ndjson"))
        return UsageSeen(40, 12)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05) if stream else mock.Delay(60))

    def streamed(self, index: int) -> bool:
        return self.bodies()[index].get("stream") is True

    def system(self, body: JSON) -> str:
        return "".join(m["content"] for m in body["messages"] if m["role"] == "system")

    def turns(self, body: JSON) -> list[Turn]:
        return [(m["role"], m["content"]) for m in body["messages"] if m["role"] != "system"]

    def images(self, body: JSON) -> list[Image]:
        return [Image(data=data) for m in body["messages"] for data in m.get("images", ())]

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {t["function"]["name"]: t["function"]["parameters"] for t in body.get("tools", ())}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        return [
            (c["function"]["name"], c["function"]["arguments"])
            for m in body["messages"]
            if m["role"] == "assistant"
            for c in m.get("tool_calls", ())
        ]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        return [
            ToolResult(m.get("tool_call_id"), m.get("tool_name"), m["content"])
            for m in body["messages"]
            if m["role"] == "tool"
        ]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        fmt = body.get("format")
        if fmt is None:
            return None
        return ("json_object", None) if fmt == "json" else ("json_schema", fmt)

    def reasoning(self, body: JSON) -> object:
        return body.get("think")
