"""Workers AI's native run wire: OpenAI-like messages inside a `{"result": ...}` envelope.

The run API has no image parts and no reasoning field, which its adapter declares; a JSON
schema goes straight under `response_format.json_schema` (no name/schema wrapper).
"""

from __future__ import annotations

import orjson

from tests.conformance.wires.base import JSON, UsageSeen
from tests.conformance.wires.openai import OpenAIReader
from tests.mocks import cloudflare_upstream as mock


class CloudflareRunWire(OpenAIReader):
    reasoning_high: object = None

    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, orjson.dumps(arguments).decode())]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        raise AssertionError("the run envelope has no reasoning field to script")

    def usage(self, text: str, stream: bool) -> UsageSeen:
        usage = {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}
        if stream:
            events = [{"response": text}, {"response": "", "usage": usage}]
            sse = b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events)
            body = sse + b"data: [DONE]\n\n"
            self.mock.enqueue(mock.RawBody(body=body, content_type="text/event-stream"))
        else:
            result = {"response": text, "tool_calls": [], "usage": usage}
            envelope = {"result": result, "success": True, "errors": [], "messages": []}
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(envelope)))
        return UsageSeen(40, 12)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05))  # always streams: a whole answer never ends

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        fmt = body.get("response_format")
        if not isinstance(fmt, dict):
            return None
        if fmt["type"] == "json_schema":
            return "json_schema", fmt["json_schema"]
        return str(fmt["type"]), None

    def reasoning(self, body: JSON) -> object:
        return None  # no field exists; a request with reasoning must be refused instead
