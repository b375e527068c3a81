"""Cohere v2 wire → core: requests Cohere clients send, responses Cohere upstreams return.

`tool_plan` is read as assistant text (it is what an OpenAI client would see as `content`
next to its tool calls). Citations have no core field and are dropped. A Cohere response names
no model, so the core response's `model` is empty for the pipeline to fill in.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    Part,
    Reasoning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.cohere.wire import finish_to_core, usage_to_core

_CORE_FIELDS = frozenset(
    {
        "model", "messages", "stream", "max_tokens", "temperature", "p", "k", "seed",
        "stop_sequences", "frequency_penalty", "presence_penalty", "tools", "tool_choice",
        "response_format", "thinking",
    }
)  # fmt: skip
_ROLES = ("system", "user", "assistant", "tool")


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages must be a non-empty array", param="messages")
    strict = True if body.get("strict_tools") is True else None
    return ChatRequest(
        model=str(body.get("model", "")),
        messages=tuple(_message(m, i) for i, m in enumerate(messages)),
        stream=body.get("stream") is True,
        max_tokens=_opt_int(body.get("max_tokens")),
        temperature=_opt_float(body.get("temperature")),
        top_p=_opt_float(body.get("p")),
        top_k=_opt_int(body.get("k")),
        stop=tuple(s for s in body.get("stop_sequences") or () if isinstance(s, str)),
        seed=_opt_int(body.get("seed")),
        frequency_penalty=_opt_float(body.get("frequency_penalty")),
        presence_penalty=_opt_float(body.get("presence_penalty")),
        tools=tuple(_tool(t, strict) for t in body.get("tools") or ()),
        tool_choice=_tool_choice(body.get("tool_choice")),
        response_format=_response_format(body.get("response_format")),
        reasoning=_reasoning(body.get("thinking")),
        extra={k: v for k, v in body.items() if k not in _CORE_FIELDS},
        source="cohere",
    )


def _message(raw: Any, index: int) -> Message:
    role = raw.get("role") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or role not in _ROLES:
        raise bad_request(f"messages[{index}].role must be one of {_ROLES}", param="messages")
    parts = _parts(raw.get("content"), index)
    plan = raw.get("tool_plan")
    if isinstance(plan, str) and plan and not any(isinstance(p, TextPart) for p in parts):
        parts = (*parts, TextPart(plan))
    calls = tuple(_call(c) for c in raw.get("tool_calls") or () if isinstance(c, dict))
    call_id = raw.get("tool_call_id")
    return Message(
        role=role,
        content=parts,
        tool_calls=calls,
        tool_call_id=str(call_id) if role == "tool" and call_id is not None else None,
    )


def _parts(content: Any, index: int) -> tuple[Part, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    if not isinstance(content, list):
        raise bad_request(f"messages[{index}].content must be a string or array", param="messages")
    return tuple(_part(p, index) for p in content)


def _part(raw: Any, index: int) -> Part:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "text":
        return TextPart(str(raw.get("text", "")))
    if kind == "thinking":
        return ReasoningPart(str(raw.get("thinking", "")))
    if kind == "document":
        # a tool result's data object: the model reads it as JSON text either way
        document = raw.get("document")
        data = document.get("data") if isinstance(document, dict) else None
        return TextPart(data if isinstance(data, str) else orjson.dumps(data).decode())
    if kind == "image_url":
        image = raw.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if isinstance(url, str):
            detail = image.get("detail") if isinstance(image, dict) else None
            return ImagePart.from_url(url, detail)
    raise bad_request(f"messages[{index}].content part {kind!r} is not supported", param="messages")


def _call(raw: dict[str, Any]) -> ToolCall:
    function = raw.get("function")
    function = function if isinstance(function, dict) else {}
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments).decode() if arguments is not None else "{}"
    return ToolCall(str(raw.get("id", "")), str(function.get("name", "")), arguments)


def _tool(raw: Any, strict: bool | None) -> Tool:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not function.get("name"):
        raise bad_request("each tool needs {type: function, function: {name, ...}}", param="tools")
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    return Tool(str(function["name"]), function.get("description"), parameters, strict)


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw.upper() in ("REQUIRED", "NONE"):
        return ToolChoice("required" if raw.upper() == "REQUIRED" else "none")
    raise bad_request(f"tool_choice {raw!r} is not supported", param="tool_choice")


def _response_format(raw: Any) -> ResponseFormat | None:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "json_object" and isinstance(raw.get("json_schema"), dict):
        return ResponseFormat("json_schema", raw["json_schema"])
    if kind in ("json_object", "text"):
        return ResponseFormat(kind)
    if raw is None:
        return None
    raise bad_request(f"response_format {raw!r} is not supported", param="response_format")


def _reasoning(raw: Any) -> Reasoning | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("type") == "disabled":
        return Reasoning(effort="none")
    budget = _opt_int(raw.get("token_budget"))
    return Reasoning(budget_tokens=budget) if budget else Reasoning(effort="medium")


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def message_parts(message: dict[str, Any]) -> tuple[Part, ...]:
    """An answer's content: thinking and text parts, then the tool plan as text."""
    parts: list[Part] = []
    for raw in message.get("content") or ():
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "text" and raw.get("text"):
            parts.append(TextPart(str(raw["text"])))
        elif kind == "thinking" and raw.get("thinking"):
            parts.append(ReasoningPart(str(raw["thinking"])))
    plan = message.get("tool_plan")
    if isinstance(plan, str) and plan:
        parts.append(TextPart(plan))
    return tuple(parts)


def response_to_core(body: bytes, provider: str) -> ChatResponse:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(message, dict):
        message_text = "upstream returned a malformed chat response"
        raise GatewayError(502, message_text, type="server_error", provider=provider or None)
    calls = tuple(_call(c) for c in message.get("tool_calls") or () if isinstance(c, dict))
    raw_finish = data.get("finish_reason")
    return ChatResponse(
        id=str(data.get("id", "")),
        model="",
        message=Message("assistant", message_parts(message), calls),
        finish_reason=finish_to_core(raw_finish),
        usage=usage_to_core(data.get("usage")),
        raw_finish_reason=raw_finish if isinstance(raw_finish, str) else None,
    )
