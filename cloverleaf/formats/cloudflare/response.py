"""The v4 envelope ⇄ core responses."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import ChatResponse, FinishReason, Message, TextPart
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.cloudflare.errors import first_error
from cloverleaf.formats.cloudflare.request import tool_call_in
from cloverleaf.formats.openai_chat.to_core import response_to_core as openai_response


def response_to_core(body: bytes) -> ChatResponse:
    """`{"result":{"response","tool_calls","usage"},"success":true,...}`. The envelope has no id
    or model, so both stay empty for the pipeline to fill in."""
    result = _result(body)
    if "choices" in result:  # newer models answer OpenAI-shaped inside the envelope
        return openai_response(orjson.dumps(result), "")
    text = result.get("response")
    if text is not None and not isinstance(text, str):  # JSON mode may return the object
        text = orjson.dumps(text).decode()
    calls = tuple(
        tool_call_in(c, n)
        for n, c in enumerate(result.get("tool_calls") or ())
        if isinstance(c, dict)
    )
    finish = FinishReason.TOOL_CALLS if calls else FinishReason.STOP
    return ChatResponse(
        id="",
        model="",
        message=Message("assistant", (TextPart(text),) if text else (), calls),
        finish_reason=finish,
        usage=Usage.from_openai(result.get("usage")) or Usage(),
    )


def _result(body: bytes) -> dict[str, Any]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and data.get("success") is False:
        message, code = first_error(data) or ("the upstream reported failure", None)
        raise GatewayError(502, message, type="server_error", code=code)
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        raise GatewayError(
            502, "the upstream answered with an unreadable Workers AI envelope", type="server_error"
        )
    return result


def tool_call_out(name: str, arguments: str) -> dict[str, Any]:
    """Native calls carry arguments as an object; invalid JSON text is passed on as text."""
    try:
        parsed: Any = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        parsed = arguments
    return {"name": name, "arguments": parsed}


def usage_out(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }


def response_from_core(response: ChatResponse) -> bytes:
    message = response.message
    result = {
        "response": message.text(),
        "tool_calls": [tool_call_out(c.name, c.arguments) for c in message.tool_calls],
        "usage": usage_out(response.usage),
    }
    return orjson.dumps({"result": result, "success": True, "errors": [], "messages": []})
