"""OpenAI chat wire → core: requests clients send, responses upstreams return."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    DocumentPart,
    FinishReason,
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
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.extensions import thought_signature

#: request fields the core model carries; everything else rides in `extra`
_CORE_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning_effort",
        "user",
        "fallbacks",
    }
)
_FINISH = {f.value: f for f in FinishReason} | {"function_call": FinishReason.TOOL_CALLS}


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages must be a non-empty array", param="messages")
    stop = body.get("stop")
    return ChatRequest(
        model=str(body.get("model", "")),
        messages=tuple(_message(m, i) for i, m in enumerate(messages)),
        stream=body.get("stream") is True,
        max_tokens=_opt_int(body.get("max_completion_tokens", body.get("max_tokens"))),
        temperature=_opt_float(body.get("temperature")),
        top_p=_opt_float(body.get("top_p")),
        top_k=_opt_int(body.get("top_k")),
        stop=(stop,)
        if isinstance(stop, str)
        else tuple(s for s in stop or () if isinstance(s, str)),
        seed=_opt_int(body.get("seed")),
        frequency_penalty=_opt_float(body.get("frequency_penalty")),
        presence_penalty=_opt_float(body.get("presence_penalty")),
        tools=tuple(_tool(t) for t in body.get("tools") or ()),
        tool_choice=_tool_choice(body.get("tool_choice")),
        parallel_tool_calls=body.get("parallel_tool_calls"),
        response_format=_response_format(body.get("response_format")),
        reasoning=Reasoning(effort=body["reasoning_effort"])
        if body.get("reasoning_effort")
        else None,
        user=body.get("user"),
        extra={k: v for k, v in body.items() if k not in _CORE_FIELDS},
    )


def _message(raw: Any, index: int) -> Message:
    if not isinstance(raw, dict):
        raise bad_request(f"messages[{index}] must be an object", param=f"messages[{index}]")
    role = raw.get("role")
    if role == "developer":
        role = "system"
    if role not in ("system", "user", "assistant", "tool"):
        raise bad_request(f"messages[{index}].role {role!r} is not supported", param="messages")
    calls = tuple(
        ToolCall(
            id=str(c.get("id", "")),
            name=str(c.get("function", {}).get("name", "")),
            arguments=_arguments(c.get("function", {}).get("arguments")),
            signature=thought_signature(c),
        )
        for c in raw.get("tool_calls") or ()
        if isinstance(c, dict)
    )
    parts = _parts(raw.get("content"), index)
    reasoning = raw.get("reasoning_content") or raw.get("reasoning")
    if role == "assistant" and isinstance(reasoning, str) and reasoning:
        parts = (ReasoningPart(reasoning), *parts)
    return Message(
        role=role,
        content=parts,
        tool_calls=calls,
        tool_call_id=raw.get("tool_call_id"),
        name=raw.get("name") if role == "tool" else None,
    )


def _parts(content: Any, index: int) -> tuple[Part, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    if not isinstance(content, list):
        raise bad_request(f"messages[{index}].content must be a string or array", param="messages")
    parts: list[Part] = []
    for position, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "file" and isinstance(part, dict):
            parts.append(_document(part.get("file"), f"messages[{index}].content[{position}]"))
        elif kind == "text":
            parts.append(TextPart(str(part.get("text", ""))))
        elif kind == "image_url":
            image = part.get("image_url") or {}
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str):
                raise bad_request(f"messages[{index}] image_url needs a url", param="messages")
            parts.append(
                ImagePart.from_url(url, image.get("detail") if isinstance(image, dict) else None)
            )
        else:
            raise bad_request(
                f"messages[{index}].content part type {kind!r} is not supported", param="messages"
            )
    return tuple(parts)


def _document(raw: Any, where: str) -> DocumentPart:
    """`file_data` is a data: URI (bare base64 is read as a PDF); a `file_id` names an upload
    in the client's OpenAI account, which no other provider can resolve."""
    file = raw if isinstance(raw, dict) else {}
    filename = file.get("filename") if isinstance(file.get("filename"), str) else None
    data = file.get("file_data")
    if isinstance(data, str) and data:
        document = DocumentPart.from_data_url(data, filename)
        return document or DocumentPart("application/pdf", data=data, filename=filename)
    if file.get("file_id") is not None:
        raise bad_request(
            f"{where}.file.file_id: uploaded file ids cannot be resolved by the gateway;"
            " send the file inline as file_data",
            param=f"{where}.file.file_id",
            code="file_id_not_supported",
        )
    raise bad_request(f"{where}.file: needs file_data", param=f"{where}.file")


def _tool(raw: Any) -> Tool:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not function.get("name"):
        raise bad_request("each tool needs {type: function, function: {name, ...}}", param="tools")
    return Tool(
        name=function["name"],
        description=function.get("description"),
        parameters=function.get("parameters") or {"type": "object", "properties": {}},
        strict=function.get("strict"),
    )


def _tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return ToolChoice(raw)
    if isinstance(raw, dict) and isinstance(raw.get("function"), dict):
        return ToolChoice("function", raw["function"].get("name"))
    raise bad_request(f"tool_choice {raw!r} is not supported", param="tool_choice")


def _response_format(raw: Any) -> ResponseFormat | None:
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "json_schema":
        spec = raw.get("json_schema") or {}
        return ResponseFormat(
            "json_schema", spec.get("schema"), spec.get("name"), spec.get("strict")
        )
    if kind in ("json_object", "text"):
        return ResponseFormat(kind)
    raise bad_request(f"response_format type {kind!r} is not supported", param="response_format")


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if value is not None else "{}"


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def finish_reason(raw: Any) -> FinishReason:
    """Unknown values (DeepSeek's `insufficient_system_resource`, ...) count as `stop`."""
    return _FINISH.get(raw, FinishReason.STOP) if isinstance(raw, str) else FinishReason.STOP


def response_to_core(body: bytes, provider: str) -> ChatResponse:
    try:
        data = orjson.loads(body)
        choice = data["choices"][0]
        message = choice.get("message") or {}
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        raise GatewayError(
            502,
            "the upstream answered with an unreadable chat completion",
            type="server_error",
            provider=provider,
        ) from None
    parsed = _message({**message, "role": "assistant"}, 0)
    raw_finish = choice.get("finish_reason")
    return ChatResponse(
        id=str(data.get("id", "")),
        model=str(data.get("model", "")),
        message=parsed,
        finish_reason=finish_reason(raw_finish),
        usage=Usage.from_openai(data.get("usage")) or Usage(),
        created=_opt_int(data.get("created")) or 0,
        raw_finish_reason=raw_finish if isinstance(raw_finish, str) else None,
    )
