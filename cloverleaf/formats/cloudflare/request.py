"""Native run bodies ⇄ core requests: what Workers AI receives, and what native clients send."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ImagePart,
    Message,
    Part,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    first_document,
)
from cloverleaf.core.errors import GatewayError, bad_request

_SAMPLING = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
#: native body fields the core model carries; anything else rides in `extra`
_CORE_FIELDS = frozenset(
    {"messages", "prompt", "stream", "max_tokens", "top_k", "seed", "tools", "response_format"}
    | set(_SAMPLING)
)


def request_from_core(request: ChatRequest, model: str, *, own_extra: bool) -> dict[str, Any]:
    """`model` is unused in the body: the run API takes it in the path (see `run_path`)."""
    del model
    _refuse_unsupported(request)
    body: dict[str, Any] = dict(request.extra) if own_extra else {}
    body["messages"] = [_message_out(m, i) for i, m in enumerate(request.messages)]
    optional: dict[str, Any] = {
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "top_k": request.top_k,
        "seed": request.seed,
        "frequency_penalty": request.frequency_penalty,
        "presence_penalty": request.presence_penalty,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    body["stream"] = request.stream
    mode = request.tool_choice.mode if request.tool_choice else "auto"
    if request.tools and mode != "none":
        body["tools"] = [_tool_out(t) for t in request.tools]
    fmt = request.response_format
    if fmt is not None and fmt.kind != "text":
        body["response_format"] = (
            {"type": "json_schema", "json_schema": fmt.schema or {}}
            if fmt.kind == "json_schema"
            else {"type": "json_object"}
        )
    return body


def _refuse_unsupported(request: ChatRequest) -> None:
    """The run API has no stop sequences, no forced tool choice and no reasoning setting;
    silently dropping any would change the answer, so the router gets a 400 it can fall back
    on. Asking for no reasoning at all (effort "none", budget 0) needs nothing and passes."""
    if request.stop:
        raise bad_request("cloudflare_run does not support stop sequences", param="stop")
    if _wants_reasoning(request):
        raise bad_request(
            "cloudflare_run does not support reasoning_effort (or a thinking budget)",
            param="reasoning_effort",
        )
    where = first_document(request.messages)
    if where is not None:
        message = f"{where}: file and PDF parts are not supported by the cloudflare_run dialect"
        raise bad_request(message, param=where)
    if request.tool_choice is not None and request.tool_choice.mode in ("required", "function"):
        raise bad_request(
            f"cloudflare_run cannot force tool_choice {request.tool_choice.mode!r}",
            param="tool_choice",
        )


def _wants_reasoning(request: ChatRequest) -> bool:
    reasoning = request.reasoning
    if reasoning is None:
        return False
    off = reasoning.effort == "none" or (reasoning.effort is None and reasoning.budget_tokens == 0)
    return not off or bool(reasoning.budget_tokens)


def _message_out(message: Message, index: int) -> dict[str, Any]:
    for position, part in enumerate(message.content):
        if isinstance(part, ImagePart):
            where = f"messages[{index}].content[{position}]"
            raise bad_request(
                f"{where}: image parts are not supported by the cloudflare_run dialect",
                param=where,
            )
    out: dict[str, Any] = {"role": message.role, "content": message.text()}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
        if message.name:
            out["name"] = message.name
    return out


def _tool_out(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    return {"type": "function", "function": function}


# -- client side -------------------------------------------------------------------------------


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    """A native body with `messages`, or the text-model shorthand `{"prompt": ...}`."""
    messages = body.get("messages")
    prompt = body.get("prompt")
    if isinstance(messages, list) and messages:
        parsed = tuple(_message_in(m, i) for i, m in enumerate(messages))
    elif isinstance(prompt, str):
        parsed = (Message("user", (TextPart(prompt),)),)
    else:
        raise bad_request(
            "either messages (non-empty array) or prompt is required", param="messages"
        )
    return ChatRequest(
        model=str(body.get("model", "")),
        messages=parsed,
        stream=body.get("stream") is True,
        max_tokens=_opt_int(body.get("max_tokens")),
        temperature=_opt_float(body.get("temperature")),
        top_p=_opt_float(body.get("top_p")),
        top_k=_opt_int(body.get("top_k")),
        seed=_opt_int(body.get("seed")),
        frequency_penalty=_opt_float(body.get("frequency_penalty")),
        presence_penalty=_opt_float(body.get("presence_penalty")),
        tools=tuple(_tool_in(t) for t in body.get("tools") or ()),
        response_format=_format_in(body.get("response_format")),
        extra={k: v for k, v in body.items() if k not in _CORE_FIELDS and k != "model"},
    )


def _message_in(raw: Any, index: int) -> Message:
    if not isinstance(raw, dict):
        raise bad_request(f"messages[{index}] must be an object", param=f"messages[{index}]")
    role = raw.get("role")
    if role not in ("system", "user", "assistant", "tool"):
        raise bad_request(f"messages[{index}].role {role!r} is not supported", param="messages")
    calls = tuple(
        tool_call_in(c, n) for n, c in enumerate(raw.get("tool_calls") or ()) if isinstance(c, dict)
    )
    return Message(
        role=role,
        content=_content_in(raw.get("content"), index),
        tool_calls=calls,
        tool_call_id=raw.get("tool_call_id") if role == "tool" else None,
        name=raw.get("name") if role == "tool" else None,
    )


def _content_in(content: Any, index: int) -> tuple[Part, ...]:
    if content is None or content == "":
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    if isinstance(content, list):
        parts: list[Part] = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(TextPart(str(part.get("text", ""))))
            else:
                break
        else:
            return tuple(parts)
    raise bad_request(f"messages[{index}].content must be text", param=f"messages[{index}]")


def tool_call_in(raw: dict[str, Any], index: int) -> ToolCall:
    """Flat `{name, arguments: {...}}` (older models) or OpenAI's `{id, function: {...}}`;
    calls without an id get `call_<n>`, so a tool result can still name its call."""
    function = raw.get("function") if isinstance(raw.get("function"), dict) else raw
    assert isinstance(function, dict)
    call_id = raw.get("id")
    return ToolCall(
        id=call_id if isinstance(call_id, str) and call_id else f"call_{index}",
        name=str(function.get("name", "")),
        arguments=arguments_text(function.get("arguments")),
    )


def arguments_text(value: Any) -> str:
    """Workers AI sends arguments as an object; core carries JSON text."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if value is not None else "{}"


def _tool_in(raw: Any) -> Tool:
    function = raw.get("function") if isinstance(raw, dict) and "function" in raw else raw
    if not isinstance(function, dict) or not function.get("name"):
        raise bad_request("each tool needs a name", param="tools")
    return Tool(
        name=str(function["name"]),
        description=function.get("description"),
        parameters=function.get("parameters") or {"type": "object", "properties": {}},
    )


def _format_in(raw: Any) -> ResponseFormat | None:
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "json_schema":
        schema = raw.get("json_schema")
        return ResponseFormat("json_schema", schema if isinstance(schema, dict) else None)
    if kind in ("json_object", "text"):
        return ResponseFormat(kind)
    raise GatewayError(
        400, f"response_format type {kind!r} is not supported", param="response_format"
    )


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
