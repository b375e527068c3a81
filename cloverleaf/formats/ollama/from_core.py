"""Core → Ollama wire: `/api/chat` bodies for an Ollama upstream, answers for Ollama clients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    Tool,
    ToolCall,
    first_document,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage

#: Ollama-only fields an Ollama client sent (kept in `extra`) that an Ollama upstream honours
_PASSTHROUGH = ("keep_alive", "think", "logprobs", "top_logprobs", "truncate")
_THINK_LEVELS = frozenset({"low", "medium", "high", "max"})
_EFFORT_ALIASES: dict[str, str | bool] = {"minimal": "low", "none": False, "xhigh": "max"}


# -- upstream side: requests ------------------------------------------------------------------


def request_from_core(request: ChatRequest, model: str) -> dict[str, Any]:
    """The `/api/chat` body; `stream` is always explicit because Ollama defaults it to true."""
    where = first_document(request.messages)
    if where is not None:
        message = f"{where}: Ollama chat cannot read file or PDF parts"
        raise GatewayError(400, message, param=where, code="unsupported_document")
    body: dict[str, Any] = {"model": model, "messages": _messages(request.messages)}
    tools = _tools(request)
    if tools:
        body["tools"] = tools
    fmt = _format(request.response_format)
    if fmt is not None:
        body["format"] = fmt
    if request.reasoning is not None:
        effort = request.reasoning.effort
        if effort is None or effort in _THINK_LEVELS:
            body["think"] = effort or True
        else:
            body["think"] = _EFFORT_ALIASES.get(effort, True)
    options = _options(request)
    if options:
        body["options"] = options
    for key in _PASSTHROUGH:
        if key in request.extra and key not in body:
            body[key] = request.extra[key]
    body["stream"] = request.stream
    return body


def _messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Tool results need the function's name, looked up from the assistant call they answer."""
    names: dict[str, str] = {}
    out = []
    for index, message in enumerate(messages):
        names.update((c.id, c.name) for c in message.tool_calls)
        out.append(_message(message, index, names))
    return out


def _message(message: Message, index: int, names: dict[str, str]) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.text()}
    thinking = "".join(
        p.text for p in message.content if isinstance(p, ReasoningPart) and not p.redacted
    )
    if thinking and message.role == "assistant":
        wire["thinking"] = thinking
    images = [
        _image(p, f"messages[{index}].content[{j}]")
        for j, p in enumerate(message.content)
        if isinstance(p, ImagePart)
    ]
    if images:
        wire["images"] = images
    if message.tool_calls:
        wire["tool_calls"] = tool_calls(message.tool_calls)
    if message.role == "tool":
        name = names.get(message.tool_call_id or "") or message.name
        if name:
            wire["tool_name"] = name
        if message.tool_call_id:
            wire["tool_call_id"] = message.tool_call_id
    return wire


def _image(part: ImagePart, where: str) -> str:
    """Bare base64 only: the gateway never fetches a URL on a client's behalf."""
    if part.data is not None:
        return part.data
    raise GatewayError(
        400,
        f"{where}: Ollama takes images only as base64 data; the image URL {part.url} cannot be"
        " sent (send it as a data: URI)",
        param=where,
        code="unsupported_image_url",
    )


def tool_calls(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    """Calls with OBJECT arguments, as Ollama reads and writes them."""
    out = []
    for call in calls:
        wire: dict[str, Any] = {"id": call.id} if call.id else {}
        wire["function"] = {"name": call.name, "arguments": arguments_object(call.arguments)}
        out.append(wire)
    return out


def arguments_object(text: str) -> dict[str, Any]:
    """Ollama rejects string arguments; a model's invalid JSON becomes `{}` so the turn goes on."""
    try:
        value = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _tools(request: ChatRequest) -> list[dict[str, Any]]:
    """Ollama has no `tool_choice`: `none` drops the tools, a forced function narrows them to
    that one, `required` is sent as a plain offer (what Ollama's own /v1 layer does)."""
    choice = request.tool_choice
    tools: tuple[Tool, ...] = request.tools
    if choice is not None and choice.mode == "none":
        return []
    if choice is not None and choice.mode == "function":
        tools = tuple(t for t in tools if t.name == choice.name) or tools
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "parameters": t.parameters,
            },
        }
        for t in tools
    ]


def _format(fmt: ResponseFormat | None) -> str | dict[str, Any] | None:
    if fmt is None or fmt.kind == "text":
        return None
    if fmt.kind == "json_schema" and fmt.schema is not None:
        return fmt.schema
    return "json"


def _options(request: ChatRequest) -> dict[str, Any]:
    extra = request.extra.get("options")
    options: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
    core: dict[str, Any] = {
        "num_predict": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "top_k": request.top_k,
        "seed": request.seed,
        "frequency_penalty": request.frequency_penalty,
        "presence_penalty": request.presence_penalty,
    }
    options.update((k, v) for k, v in core.items() if v is not None)
    if request.stop:
        options["stop"] = list(request.stop)
    return options


# -- client side: answers ---------------------------------------------------------------------


def response_from_core(response: ChatResponse) -> bytes:
    """The single object a `"stream": false` `/api/chat` call returns."""
    return orjson.dumps(
        {
            "model": response.model,
            "created_at": created_at(response.created),
            "message": assistant_message(response.message),
            **final_fields(response.finish_reason, response.usage),
        }
    )


def assistant_message(message: Message) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": "assistant", "content": message.text()}
    thinking = "".join(p.text for p in message.content if isinstance(p, ReasoningPart))
    if thinking:
        wire["thinking"] = thinking
    if message.tool_calls:
        wire["tool_calls"] = tool_calls(message.tool_calls)
    return wire


def final_fields(reason: FinishReason, usage: Usage) -> dict[str, Any]:
    """`done` plus the counters of a final line; durations are unknown behind a gateway → 0."""
    return {
        "done": True,
        "done_reason": "length" if reason is FinishReason.LENGTH else "stop",
        "total_duration": 0,
        "load_duration": 0,
        "prompt_eval_count": usage.prompt_tokens,
        "prompt_eval_duration": 0,
        "eval_count": usage.completion_tokens,
        "eval_duration": 0,
    }


def created_at(created: int) -> str:
    """Unix seconds → the RFC 3339 timestamp Ollama puts on every object."""
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
