"""`/api/generate` for Ollama clients: a prompt (plus system and images) in, `response` out.

The gateway serves it by turning the prompt into a one-turn chat, so any upstream can answer;
only the client-facing shapes differ from `/api/chat`.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.ollama.from_core import created_at, final_fields
from cloverleaf.formats.ollama.streaming import OllamaStreamEncoder
from cloverleaf.formats.ollama.to_core import build_request, image_part

#: fields the core model carries; `suffix`, `template`, `raw`, `context`, ... ride in `extra`
GENERATE_FIELDS = frozenset(
    {"model", "prompt", "system", "images", "stream", "options", "format", "think"}
)


def generate_request_to_core(body: dict[str, Any]) -> ChatRequest:
    """`system` becomes a system turn; `prompt` and `images` one user turn."""
    prompt = body.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise bad_request("prompt must be a string", param="prompt")
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        raise bad_request("system must be a string", param="system")
    images = body.get("images") or []
    if not isinstance(images, list):
        raise bad_request("images must be an array", param="images")
    parts: list[Part] = [TextPart(prompt)] if prompt else []
    parts.extend(image_part(v, f"images[{i}]") for i, v in enumerate(images))
    if not parts:
        raise bad_request("prompt is required", param="prompt")
    messages: tuple[Message, ...] = (Message("user", tuple(parts)),)
    if system:
        messages = (Message("system", (TextPart(system),)), *messages)
    return build_request(body, messages, (), GENERATE_FIELDS)


def generate_response_from_core(response: ChatResponse) -> bytes:
    """The single object a `"stream": false` `/api/generate` call returns."""
    body: dict[str, Any] = {
        "model": response.model,
        "created_at": created_at(response.created),
        "response": response.message.text(),
    }
    thinking = _thinking(response.message)
    if thinking:
        body["thinking"] = thinking
    return orjson.dumps({**body, **final_fields(response.finish_reason, response.usage)})


def _thinking(message: Message) -> str:
    return "".join(p.text for p in message.content if isinstance(p, ReasoningPart))


class GenerateStreamEncoder(OllamaStreamEncoder):
    """`/api/generate` lines: text in `response`, thinking beside it; no tools in this API."""

    def delta(
        self, *, text: str = "", thinking: str = "", calls: tuple[ToolCall, ...] = ()
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"response": text}
        if thinking:
            body["thinking"] = thinking
        return {**body, "done": False}

    def final(self, reason: FinishReason, counts: Usage) -> dict[str, Any]:
        return {"response": "", **final_fields(reason, counts)}
