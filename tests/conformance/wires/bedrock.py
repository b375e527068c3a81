"""The Bedrock Converse wire: content blocks, `toolConfig`, `additionalModelRequestFields`.

Streams are a different operation in the path (`converse-stream`) and binary event-stream
frames, built here from a whole response with the same synthesiser the mock uses. Converse
takes images as inline bytes only, and JSON-object mode is a system instruction.
"""

from __future__ import annotations

import orjson

from cloverleaf.formats.bedrock_converse.eventstream import CONTENT_TYPE
from tests.conformance.wires.base import JSON, Image, ToolResult, Turn, UsageSeen, Wire, text_of
from tests.formats.bedrock_converse.synth import frame, stream_events
from tests.mocks import bedrock_upstream as mock

_EXCEPTIONS = {400: "ValidationException", 429: "ThrottlingException"}
_EXCEPTIONS |= {500: "InternalServerException", 503: "ServiceUnavailableException"}


class BedrockWire(Wire):
    image_urls = False

    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, orjson.dumps(arguments).decode())]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        self.mock.enqueue(mock.Thinking(thought, text))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        usage = {"inputTokens": 20, "cacheReadInputTokens": 16, "cacheWriteInputTokens": 4}
        usage |= {"outputTokens": 12, "totalTokens": 52}
        message = {"role": "assistant", "content": [{"text": text}]}
        response = {"output": {"message": message}, "stopReason": "end_turn", "usage": usage}
        response["metrics"] = {"latencyMs": 1}
        if stream:
            frames = b"".join(frame(name, payload) for name, payload in stream_events(response))
            self.mock.enqueue(mock.RawBody(body=frames, content_type=CONTENT_TYPE))
        else:
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(response)))
        return UsageSeen(40, 12, cached=16)

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, _EXCEPTIONS[status], message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05) if stream else mock.Delay(60))

    def streamed(self, index: int) -> bool:
        return bool(self.mock.requests[index].path.endswith("/converse-stream"))

    def system(self, body: JSON) -> str:
        return text_of(body.get("system"))

    def turns(self, body: JSON) -> list[Turn]:
        return [(m["role"], text_of(m["content"])) for m in body["messages"]]

    def images(self, body: JSON) -> list[Image]:
        images = [b["image"] for b in _blocks(body, "user") if "image" in b]
        return [Image(data=i["source"]["bytes"], media_type=f"image/{i['format']}") for i in images]

    def tools(self, body: JSON) -> dict[str, JSON]:
        specs = [
            t["toolSpec"] for t in body.get("toolConfig", {}).get("tools", ()) if "toolSpec" in t
        ]
        return {s["name"]: s["inputSchema"]["json"] for s in specs}

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        uses = [b["toolUse"] for b in _blocks(body, "assistant") if "toolUse" in b]
        return [(u["name"], u["input"]) for u in uses]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        results = [b["toolResult"] for b in _blocks(body, "user") if "toolResult" in b]
        return [ToolResult(r["toolUseId"], None, text_of(r["content"])) for r in results]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        text_format = body.get("outputConfig", {}).get("textFormat")
        if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
            schema = text_format["structure"]["jsonSchema"]["schema"]
            return "json_schema", orjson.loads(schema)
        return ("json_object", None) if "JSON" in self.system(body) else None

    def reasoning(self, body: JSON) -> object:
        thinking = body.get("additionalModelRequestFields", {}).get("thinking") or {}
        return thinking.get("budget_tokens") if thinking.get("type") == "enabled" else None


def _blocks(body: JSON, role: str) -> list[JSON]:
    return [b for m in body["messages"] if m["role"] == role for b in m["content"]]
