"""Anthropic wire → core: requests Anthropic clients send, responses Claude returns."""

from __future__ import annotations

from typing import Any, Literal, TypeGuard

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    Reasoning,
    ResponseFormat,
    Tool,
    ToolChoice,
)
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.anthropic.messages_in import assistant_message, messages_to_core
from cloverleaf.formats.anthropic.stop_reasons import finish_to_core
from cloverleaf.formats.anthropic.usage import usage_to_core

ChoiceMode = Literal["auto", "none", "required", "function"]
#: request fields with a core meaning; any other field rides in `extra`
_CORE_FIELDS = frozenset(
    {
        "model",
        "messages",
        "system",
        "max_tokens",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
        "output_format",
        "metadata",
    }
)
_CHOICE_MODES: dict[str, ChoiceMode] = {
    "auto": "auto",
    "any": "required",
    "tool": "function",
    "none": "none",
}
#: adaptive thinking has no budget; core efforts are OpenAI's words
_EFFORTS = {"low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "high"}


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model: required, a non-empty string", param="model")
    max_tokens = body.get("max_tokens")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise bad_request("max_tokens: required, a positive integer", param="max_tokens")
    stop = body.get("stop_sequences") or []
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise bad_request("stop_sequences: must be an array of strings", param="stop_sequences")
    output_config = _object(body, "output_config")
    tool_choice, parallel = _tool_choice(body.get("tool_choice"))
    metadata = _object(body, "metadata")
    user = metadata.get("user_id")
    return ChatRequest(
        model=model,
        messages=messages_to_core(body.get("messages"), body.get("system")),
        stream=body.get("stream") is True,
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0.0, 1.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        top_k=_opt_int(body, "top_k"),
        stop=tuple(stop),
        tools=tuple(_tool(t, i) for i, t in enumerate(_list(body, "tools"))),
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        response_format=_response_format(output_config.get("format") or body.get("output_format")),
        reasoning=_reasoning(body.get("thinking"), output_config.get("effort")),
        user=user if isinstance(user, str) else None,
        extra={k: v for k, v in body.items() if k not in _CORE_FIELDS},
        source="anthropic",
    )


def _tool(raw: Any, index: int) -> Tool:
    where = f"tools[{index}]"
    if not isinstance(raw, dict) or raw.get("type", "custom") != "custom":
        kind = raw.get("type") if isinstance(raw, dict) else None
        raise bad_request(f"{where}: server tool {kind!r} is not supported", param=where)
    name, schema = raw.get("name"), raw.get("input_schema")
    if not isinstance(name, str) or not name or not isinstance(schema, dict):
        raise bad_request(f"{where}: needs name and input_schema (an object)", param=where)
    description = raw.get("description")
    strict = raw.get("strict")
    return Tool(
        name,
        description if isinstance(description, str) else None,
        schema,
        strict if isinstance(strict, bool) else None,
    )


def _tool_choice(raw: Any) -> tuple[ToolChoice | None, bool | None]:
    """Anthropic folds "no parallel calls" into the choice; core keeps it separate."""
    if raw is None:
        return None, None
    kind = raw.get("type") if isinstance(raw, dict) else None
    mode = _CHOICE_MODES.get(kind) if isinstance(kind, str) else None
    if mode is None or not isinstance(raw, dict):
        raise bad_request("tool_choice.type: must be auto, any, tool or none", param="tool_choice")
    name = raw.get("name")
    if mode == "function" and not isinstance(name, str):
        raise bad_request("tool_choice.name: required for type tool", param="tool_choice.name")
    parallel = False if raw.get("disable_parallel_tool_use") is True else None
    choice = ToolChoice(mode, name if mode == "function" else None)
    return choice, parallel


def _reasoning(thinking: Any, effort: Any) -> Reasoning | None:
    """An explicit budget also gets the nearest effort, so OpenAI-style targets keep it."""
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if thinking is None or kind == "disabled":
        return None
    if kind == "enabled" and isinstance(thinking, dict):
        budget = thinking.get("budget_tokens")
        if not _is_int(budget) or budget < 1024:
            raise bad_request(
                "thinking.budget_tokens: an integer of at least 1024",
                param="thinking.budget_tokens",
            )
        level = "low" if budget <= 2048 else "medium" if budget <= 8192 else "high"
        return Reasoning(effort=level, budget_tokens=budget)
    if kind == "adaptive":
        return Reasoning(
            effort=_EFFORTS.get(effort, "medium") if isinstance(effort, str) else "medium"
        )
    raise bad_request("thinking.type: must be enabled, adaptive or disabled", param="thinking")


def _response_format(raw: Any) -> ResponseFormat | None:
    if raw is None:
        return None
    schema = raw.get("schema") if isinstance(raw, dict) else None
    if (
        not isinstance(raw, dict)
        or raw.get("type") != "json_schema"
        or not isinstance(schema, dict)
    ):
        raise bad_request(
            "output_config.format: must be {type: json_schema, schema}",
            param="output_config.format",
        )
    return ResponseFormat("json_schema", schema)


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{key}: must be an object", param=key)
    return value


def _list(body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"{key}: must be an array", param=key)
    return value


def _number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise bad_request(f"{key}: must be a number between {low:g} and {high:g}", param=key)
    return float(value)


def _opt_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise bad_request(f"{key}: must be a non-negative integer", param=key)
    return int(value)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def response_to_core(body: bytes, provider: str = "") -> ChatResponse:
    try:
        data = orjson.loads(body)
        content = data["content"]
        if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise GatewayError(
            502,
            "the upstream answered with an unreadable Anthropic message",
            type="api_error",
            provider=provider or None,
        ) from None
    raw_stop = data.get("stop_reason")
    return ChatResponse(
        id=str(data.get("id", "")),
        model=str(data.get("model", "")),
        message=assistant_message(content, "content", {}, strict=False),
        finish_reason=finish_to_core(raw_stop),
        usage=usage_to_core(data.get("usage")),
        raw_finish_reason=raw_stop if isinstance(raw_stop, str) else None,
    )
