"""Ollama wire → core: `/api/chat` bodies clients send, answers an Ollama upstream returns."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
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
)
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.ollama.errors import stream_error

#: top-level `/api/chat` fields the core model carries; the rest rides in `extra`
CHAT_FIELDS = frozenset({"model", "messages", "stream", "options", "format", "think", "tools"})
#: `options` the core model carries; other Modelfile parameters ride in `extra["options"]`
_CORE_OPTIONS = frozenset(
    {
        "num_predict",
        "temperature",
        "top_p",
        "top_k",
        "stop",
        "seed",
        "frequency_penalty",
        "presence_penalty",
    }
)
_THINK_LEVELS = frozenset({"low", "medium", "high", "max"})
_ROLES = frozenset({"system", "user", "assistant", "tool"})
#: leading bytes of the image formats vision models take; Ollama images carry no media type
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


# -- client side: requests ----------------------------------------------------------------


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    """An Ollama client's `/api/chat` body; unlike OpenAI, `stream` is on unless sent false."""
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages must be a non-empty array", param="messages")
    ids = CallIds()
    messages = tuple(_message(m, i, ids) for i, m in enumerate(raw))
    return build_request(body, messages, _tools(body.get("tools")), CHAT_FIELDS)


def build_request(
    body: dict[str, Any],
    messages: tuple[Message, ...],
    tools: tuple[Tool, ...],
    known: frozenset[str],
) -> ChatRequest:
    """The controls `/api/chat` and `/api/generate` share: model, stream, options, format, think."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required", param="model")
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise bad_request("stream must be a boolean", param="stream")
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise bad_request("options must be an object", param="options")
    extra = {k: v for k, v in body.items() if k not in known}
    leftover = {k: v for k, v in options.items() if k not in _CORE_OPTIONS}
    if leftover:
        extra["options"] = leftover
    think = body.get("think")
    if think is False:
        extra["think"] = False  # "thinking off" has no core value; same-dialect targets keep it
    num_predict = _number(options, "num_predict", int)
    return ChatRequest(
        model=model,
        messages=messages,
        stream=stream is not False,
        max_tokens=int(num_predict) if num_predict is not None and num_predict >= 0 else None,
        temperature=_number(options, "temperature", float),
        top_p=_number(options, "top_p", float),
        top_k=_int(_number(options, "top_k", int)),
        stop=_stop(options.get("stop")),
        seed=_int(_number(options, "seed", int)),
        frequency_penalty=_number(options, "frequency_penalty", float),
        presence_penalty=_number(options, "presence_penalty", float),
        tools=tools,
        response_format=_format(body.get("format")),
        reasoning=_think(think),
        extra=extra,
    )


class CallIds:
    """Ollama history rarely carries call ids: give each call one, and pair each tool result
    with the open call of the same name (else the oldest open one) from the last assistant turn."""

    def __init__(self) -> None:
        self._count = 0
        self._open: list[tuple[str, str]] = []

    def turn(self) -> None:
        self._open = []

    def call(self, raw_id: Any, name: str) -> str:
        call_id = raw_id if isinstance(raw_id, str) and raw_id else f"call_{self._count}"
        self._count += 1
        self._open.append((call_id, name))
        return call_id

    def result(self, raw_id: Any, name: str | None) -> str | None:
        if isinstance(raw_id, str) and raw_id:
            self._open = [c for c in self._open if c[0] != raw_id]
            return raw_id
        named = [c for c in self._open if c[1] == name]
        match = named[0] if named else (self._open[0] if self._open else None)
        if match is None:
            return None
        self._open.remove(match)
        return match[0]


def _message(raw: Any, index: int, ids: CallIds) -> Message:
    where = f"messages[{index}]"
    if not isinstance(raw, dict):
        raise bad_request(f"{where} must be an object", param=where)
    role = raw.get("role")
    if role not in _ROLES:
        raise bad_request(f"{where}.role {role!r} is not supported", param=f"{where}.role")
    content = raw.get("content")
    if content is not None and not isinstance(content, str):
        raise bad_request(f"{where}.content must be a string", param=f"{where}.content")
    parts: list[Part] = []
    thinking = raw.get("thinking")
    if role == "assistant" and isinstance(thinking, str) and thinking:
        parts.append(ReasoningPart(thinking))
    if content:
        parts.append(TextPart(content))
    images = raw.get("images") or []
    if not isinstance(images, list):
        raise bad_request(f"{where}.images must be an array", param=f"{where}.images")
    parts.extend(image_part(v, f"{where}.images[{j}]") for j, v in enumerate(images))
    if role == "assistant":
        ids.turn()
        calls = tuple(_call(c, f"{where}.tool_calls[{j}]", ids) for j, c in enumerate(_list(raw)))
        return Message("assistant", tuple(parts), calls)
    if role == "tool":
        name = raw.get("tool_name") or raw.get("name")
        name = name if isinstance(name, str) and name else None
        return Message("tool", tuple(parts), (), ids.result(raw.get("tool_call_id"), name), name)
    return Message(role, tuple(parts))


def _list(raw: dict[str, Any]) -> list[Any]:
    calls = raw.get("tool_calls") or []
    return calls if isinstance(calls, list) else [calls]


def _call(raw: Any, where: str, ids: CallIds) -> ToolCall:
    function = raw.get("function") if isinstance(raw, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise bad_request(f"{where} needs {{function: {{name, arguments}}}}", param=where)
    name = function["name"]
    return ToolCall(ids.call(raw.get("id"), name), name, arguments_text(function.get("arguments")))


def arguments_text(value: Any) -> str:
    """Ollama arguments are an object; the core carries OpenAI's JSON text."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if value is not None else "{}"


def image_part(value: Any, where: str) -> ImagePart:
    """Bare base64 (Ollama's shape) with a media type sniffed from its first bytes."""
    if not isinstance(value, str) or not value:
        raise bad_request(f"{where} must be a base64 string", param=where)
    if value.startswith("data:"):
        return ImagePart.from_url(value)
    return ImagePart(data=value, media_type=sniff_media_type(value))


def sniff_media_type(data: str) -> str:
    """png/jpeg/gif/webp from the magic bytes; anything else is sent on as image/png."""
    head = data[:24]
    try:
        raw = base64.b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return "image/png"
    for magic, media_type in _MAGIC:
        if raw.startswith(magic):
            return media_type
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def _tools(raw: Any) -> tuple[Tool, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad_request("tools must be an array", param="tools")
    tools = []
    for i, tool in enumerate(raw):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            raise bad_request(
                f"tools[{i}] needs {{type: function, function: {{name}}}}", param="tools"
            )
        tools.append(
            Tool(
                name=str(function["name"]),
                description=function.get("description"),
                parameters=function.get("parameters") or {"type": "object", "properties": {}},
            )
        )
    return tuple(tools)


def _number(options: dict[str, Any], key: str, kind: type[int] | type[float]) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"options.{key} must be a number", param=f"options.{key}")
    if kind is int and value != int(value):
        raise bad_request(f"options.{key} must be an integer", param=f"options.{key}")
    return float(value) if kind is float else value


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise bad_request("options.stop must be an array of strings", param="options.stop")


def _format(value: Any) -> ResponseFormat | None:
    if value is None or value == "":
        return None
    if value == "json":
        return ResponseFormat("json_object")
    if isinstance(value, dict):
        return ResponseFormat("json_schema", value, name="response")
    raise bad_request('format must be "json" or a JSON schema object', param="format")


def _think(value: Any) -> Reasoning | None:
    """`true` = the model's own default depth: a Reasoning with neither effort nor budget."""
    if value is None or value is False:
        return None
    if value is True:
        return Reasoning()
    if isinstance(value, str) and value in _THINK_LEVELS:
        return Reasoning(effort=value)
    raise bad_request('think must be a boolean or "low", "medium", "high"', param="think")


# -- upstream side: answers -----------------------------------------------------------------


def response_to_core(body: bytes, provider: str = "") -> ChatResponse:
    """One non-streamed `/api/chat` answer (shaped like the final stream line)."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and "error" in data:
        raise stream_error(data["error"], provider)
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(message, dict):
        raise GatewayError(
            502,
            "the upstream answered with an unreadable Ollama chat response",
            type="server_error",
            provider=provider or None,
        )
    parts: list[Part] = []
    if isinstance(message.get("thinking"), str) and message["thinking"]:
        parts.append(ReasoningPart(message["thinking"]))
    if isinstance(message.get("content"), str) and message["content"]:
        parts.append(TextPart(message["content"]))
    calls = tuple(tool_call(c, i) for i, c in enumerate(message.get("tool_calls") or ()))
    raw_reason = data.get("done_reason")
    return ChatResponse(
        id="",
        model=str(data.get("model", "")),
        message=Message("assistant", tuple(parts), calls),
        finish_reason=finish_reason(raw_reason, bool(calls)),
        usage=usage(data),
        created=created(data.get("created_at")),
        raw_finish_reason=raw_reason if isinstance(raw_reason, str) else None,
    )


def tool_call(raw: Any, index: int) -> ToolCall:
    """A whole call; Ollama's ids are optional, so synthesize `call_<index>`."""
    call: dict[str, Any] = raw if isinstance(raw, dict) else {}
    function = call.get("function")
    function = function if isinstance(function, dict) else {}
    call_id = call.get("id")
    return ToolCall(
        id=call_id if isinstance(call_id, str) and call_id else f"call_{index}",
        name=str(function.get("name", "")),
        arguments=arguments_text(function.get("arguments")),
    )


def finish_reason(raw: Any, has_tool_calls: bool) -> FinishReason:
    """`length` is the only limit Ollama reports; `stop` with calls means the model called."""
    if raw == "length":
        return FinishReason.LENGTH
    return FinishReason.TOOL_CALLS if has_tool_calls else FinishReason.STOP


def usage(data: dict[str, Any]) -> Usage:
    """Counters are omitted when zero (a cached prompt has no `prompt_eval_count`)."""
    prompt = data.get("prompt_eval_count")
    completion = data.get("eval_count")
    prompt = prompt if isinstance(prompt, int) and not isinstance(prompt, bool) else 0
    completion = (
        completion if isinstance(completion, int) and not isinstance(completion, bool) else 0
    )
    return Usage(prompt, completion, prompt + completion)


def created(value: Any) -> int:
    """`created_at` is RFC 3339 with up to nanoseconds; the core wants unix seconds."""
    if not isinstance(value, str):
        return 0
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0
