"""Responses tools (flat function definitions) and `tool_choice`, to and from the core.

Built-in tools (`web_search`, `file_search`, `code_interpreter`, ...) run inside OpenAI: no
other provider can honour them, so a translated request naming one is refused.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import Tool, ToolChoice
from cloverleaf.core.errors import bad_request

_MODES = ("auto", "none", "required")


def tools(raw: Any) -> tuple[Tool, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise bad_request("tools must be an array", param="tools")
    return tuple(_tool(item, i) for i, item in enumerate(raw))


def _tool(raw: Any, index: int) -> Tool:
    where = f"tools[{index}]"
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or kind != "function":
        raise bad_request(
            f"{where}: built-in tool {kind!r} is only supported by OpenAI's own Responses "
            "endpoint; this model is served by translation (function tools are)",
            param=f"{where}.type",
            code="unsupported_parameter",
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request(f"{where}.name is required", param=f"{where}.name")
    parameters = raw.get("parameters")
    description = raw.get("description")
    strict = raw.get("strict")
    return Tool(
        name=name,
        description=description if isinstance(description, str) else None,
        parameters=parameters
        if isinstance(parameters, dict)
        else {"type": "object", "properties": {}},
        strict=strict if isinstance(strict, bool) else None,
    )


def tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if raw in _MODES:
        return ToolChoice(raw)
    if isinstance(raw, dict) and raw.get("type") == "function":
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("tool_choice.name is required", param="tool_choice.name")
        return ToolChoice("function", name)
    raise bad_request(
        f"tool_choice {raw!r} is only supported by OpenAI's own Responses endpoint",
        param="tool_choice",
        code="unsupported_parameter",
    )


def tools_echo(raw: Any) -> list[Any]:
    """The tools as a Responses object repeats them (OpenAI fills the defaults in)."""
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if isinstance(item, dict) and item.get("type") == "function":
            out.append(
                {
                    "type": "function",
                    "name": item.get("name"),
                    "description": item.get("description"),
                    "parameters": item.get("parameters"),
                    "strict": item.get("strict", True),
                }
            )
    return out
