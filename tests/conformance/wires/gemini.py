"""The Gemini generateContent wire: `contents`/`parts`, `systemInstruction`, `generationConfig`.

A stream is a different method in the path (`:streamGenerateContent?alt=sse`), not a body field.
Gemini cannot fetch http(s) image URLs, so the gateway must refuse them.
"""

from __future__ import annotations

import orjson

from tests.conformance.wires.base import JSON, Image, ToolResult, Turn, UsageSeen, Wire, text_of
from tests.mocks import gemini_upstream as mock

_ROLES = {"user": "user", "model": "assistant"}


class GeminiWire(Wire):
    image_urls = False

    def text(self, text: str) -> None:
        self.mock.enqueue(mock.Text(text))

    def tool_call(self, name: str, arguments: JSON) -> None:
        self.mock.enqueue(mock.ToolCalls([(name, arguments)]))

    def thinking(self, thought: str, text: str, stream: bool) -> None:
        self.mock.enqueue(mock.Thinking(thought, text))

    def usage(self, text: str, stream: bool) -> UsageSeen:
        counts = {"promptTokenCount": 40, "candidatesTokenCount": 7, "thoughtsTokenCount": 5}
        counts |= {"cachedContentTokenCount": 16, "totalTokenCount": 52}
        candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        chunk = {"candidates": [candidate | {"finishReason": "STOP"}], "usageMetadata": counts}
        chunk |= {"modelVersion": "gemini-2.5-flash", "responseId": "conformance"}
        if stream:
            body = b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"
            self.mock.enqueue(mock.RawBody(body=body, content_type="text/event-stream"))
        else:
            self.mock.enqueue(mock.RawBody(body=orjson.dumps(chunk)))
        return UsageSeen(40, 12, cached=16, reasoning=5)  # completion = candidates + thoughts

    def error(self, status: int, message: str) -> None:
        self.mock.enqueue(mock.Error(status, message))

    def hang(self, stream: bool) -> None:
        self.mock.enqueue(mock.SlowStream(0.05) if stream else mock.Delay(60))

    def streamed(self, index: int) -> bool:
        return ":streamGenerateContent" in self.mock.requests[index].path

    def system(self, body: JSON) -> str:
        return text_of((body.get("systemInstruction") or {}).get("parts"))

    def turns(self, body: JSON) -> list[Turn]:
        return [(_ROLES[c.get("role", "user")], text_of(c["parts"])) for c in body["contents"]]

    def images(self, body: JSON) -> list[Image]:
        out = []
        for part in _parts(body, "user"):
            if "inlineData" in part:
                inline = part["inlineData"]
                out.append(Image(data=inline["data"], media_type=inline["mimeType"]))
            elif "fileData" in part:
                out.append(Image(url=part["fileData"]["fileUri"]))
        return out

    def tools(self, body: JSON) -> dict[str, JSON]:
        return {
            d["name"]: d.get("parametersJsonSchema") or d["parameters"]
            for tool in body.get("tools", ())
            for d in tool.get("functionDeclarations", ())
        }

    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        calls = [p["functionCall"] for p in _parts(body, "model") if "functionCall" in p]
        return [(c["name"], c.get("args", {})) for c in calls]

    def tool_results(self, body: JSON) -> list[ToolResult]:
        answers = [p["functionResponse"] for p in _parts(body, "user") if "functionResponse" in p]
        return [
            ToolResult(a.get("id"), a["name"], orjson.dumps(a["response"]).decode())
            for a in answers
        ]

    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        config = body.get("generationConfig", {})
        if config.get("responseMimeType") != "application/json":
            return None
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        return ("json_schema", schema) if schema else ("json_object", None)

    def reasoning(self, body: JSON) -> object:
        thinking = body.get("generationConfig", {}).get("thinkingConfig", {})
        return thinking.get("thinkingBudget")


def _parts(body: JSON, role: str) -> list[JSON]:
    return [p for c in body["contents"] if c.get("role", "user") == role for p in c["parts"]]
