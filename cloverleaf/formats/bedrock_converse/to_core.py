"""Converse wire → core: responses Bedrock returns, and requests Converse clients send.

Content blocks are tagged unions (exactly one key, no `type` field). The model id and the
stream switch live in the URL, so a route injects them as `model` / `stream` body keys.
"""

from __future__ import annotations

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
    ToolChoice,
)
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.bedrock_converse.documents import document_to_core

JSON = dict[str, Any]
STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "guardrail_intervened": FinishReason.CONTENT_FILTER,
    "content_filtered": FinishReason.CONTENT_FILTER,
    "malformed_model_output": FinishReason.ERROR,
    "malformed_tool_use": FinishReason.ERROR,
}
#: Converse request fields with no neutral meaning, kept for a Bedrock upstream
_PASSTHROUGH = (
    "guardrailConfig",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "additionalModelResponseFieldPaths",
)


def finish_reason(raw: Any) -> FinishReason:
    """Unknown stop reasons count as `stop`; the raw value travels beside it."""
    return STOP_REASONS.get(raw, FinishReason.STOP) if isinstance(raw, str) else FinishReason.STOP


def usage_to_core(raw: Any) -> Usage:
    """prompt = input + cache reads + cache writes (mapping.md §6); missing counters are 0."""
    if not isinstance(raw, dict):
        return Usage()
    read = _int(raw.get("cacheReadInputTokens"))
    written = _int(raw.get("cacheWriteInputTokens"))
    prompt = _int(raw.get("inputTokens")) + read + written
    completion = _int(raw.get("outputTokens"))
    return Usage(prompt, completion, prompt + completion, read, cache_write_tokens=written)


def response_to_core(body: bytes, provider: str) -> ChatResponse:
    """Bedrock's answer carries no id or model (both are the caller's): they stay empty."""
    try:
        data = orjson.loads(body)
        content = data["output"]["message"]["content"]
        if not isinstance(content, list):
            raise TypeError("content is not a list")
        parts, calls = assistant_content(content, "output.message")
    except (orjson.JSONDecodeError, KeyError, TypeError, GatewayError):
        raise GatewayError(
            502,
            "the upstream answered with an unreadable Converse response",
            type="server_error",
            provider=provider or None,
        ) from None
    raw = data.get("stopReason")
    return ChatResponse(
        id="",
        model="",
        message=Message("assistant", parts, calls),
        finish_reason=finish_reason(raw),
        usage=usage_to_core(data.get("usage")),
        raw_finish_reason=raw if isinstance(raw, str) else None,
    )


def assistant_content(
    blocks: list[Any], where: str
) -> tuple[tuple[Part, ...], tuple[ToolCall, ...]]:
    parts: list[Part] = []
    calls: list[ToolCall] = []
    for block in blocks:
        if not isinstance(block, dict):
            raise bad_request(f"{where}.content blocks must be objects", param=where)
        if isinstance(block.get("text"), str):
            parts.append(TextPart(block["text"]))
        elif isinstance(block.get("reasoningContent"), dict):
            parts.append(_reasoning(block["reasoningContent"]))
        elif isinstance(block.get("toolUse"), dict):
            use = block["toolUse"]
            arguments = orjson.dumps(use.get("input", {})).decode()
            calls.append(
                ToolCall(str(use.get("toolUseId", "")), str(use.get("name", "")), arguments)
            )
    return tuple(parts), tuple(calls)


def _reasoning(block: JSON) -> ReasoningPart:
    if "redactedContent" in block:
        return ReasoningPart.redacted_block(str(block["redactedContent"]))
    text = block.get("reasoningText") or {}
    signature = text.get("signature")
    return ReasoningPart(
        str(text.get("text", "")), signature if isinstance(signature, str) else None
    )


# -- client side ------------------------------------------------------------------------------


def request_to_core(body: JSON) -> ChatRequest:
    """A Converse request body (plus the route's injected `model` and `stream`) → core."""
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise bad_request("messages must be a non-empty array", param="messages")
    messages = [*_system(body.get("system"))]
    for index, raw in enumerate(raw_messages):
        messages.extend(_message(raw, index))
    inference = _object(body.get("inferenceConfig"), "inferenceConfig")
    additional = dict(
        _object(body.get("additionalModelRequestFields"), "additionalModelRequestFields")
    )
    thinking = additional.pop("thinking", None)
    top_k = additional.pop("top_k", None)
    extra: JSON = {k: body[k] for k in _PASSTHROUGH if k in body}
    if additional:
        extra["additionalModelRequestFields"] = additional
    output = dict(_object(body.get("outputConfig"), "outputConfig"))
    response_format = _response_format(output.pop("textFormat", None))
    if output:
        extra["outputConfig"] = output
    tools, choice = _tool_config(_object(body.get("toolConfig"), "toolConfig"))
    stop = inference.get("stopSequences") or ()
    model = body.get("model", body.get("modelId", ""))
    return ChatRequest(
        model=model if isinstance(model, str) else "",
        messages=tuple(messages),
        stream=body.get("stream") is True,
        max_tokens=_opt_int(inference.get("maxTokens")),
        temperature=_opt_float(inference.get("temperature")),
        top_p=_opt_float(inference.get("topP")),
        top_k=_opt_int(top_k),
        stop=tuple(s for s in stop if isinstance(s, str)),
        tools=tools,
        tool_choice=choice,
        response_format=response_format,
        reasoning=_thinking(thinking),
        extra=extra,
    )


def _system(raw: Any) -> list[Message]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("system must be an array of blocks", param="system")
    return [
        Message("system", (TextPart(b["text"]),))
        for b in raw
        if isinstance(b, dict) and isinstance(b.get("text"), str)
    ]


def _message(raw: Any, index: int) -> list[Message]:
    where = f"messages[{index}]"
    if not isinstance(raw, dict) or raw.get("role") not in ("user", "assistant"):
        raise bad_request(f"{where}.role must be user or assistant", param=f"{where}.role")
    content = raw.get("content")
    if not isinstance(content, list):
        raise bad_request(f"{where}.content must be an array", param=f"{where}.content")
    if raw["role"] == "assistant":
        parts, calls = assistant_content(content, where)
        return [Message("assistant", parts, calls)]
    results: list[Message] = []
    user_parts: list[Part] = []
    for position, block in enumerate(content):
        here = f"{where}.content[{position}]"
        if not isinstance(block, dict):
            raise bad_request(f"{here} must be an object", param=here)
        if isinstance(block.get("toolResult"), dict):
            results.append(_tool_result(block["toolResult"], here))
        elif "cachePoint" not in block:
            user_parts.append(_user_part(block, here))
    # tool results answer the previous turn, so they come before the user's new text
    return results + ([Message("user", tuple(user_parts))] if user_parts else [])


def _user_part(block: JSON, where: str) -> Part:
    if isinstance(block.get("text"), str):
        return TextPart(block["text"])
    image = block.get("image")
    if isinstance(image, dict):
        source = image.get("source") or {}
        data = source.get("bytes") if isinstance(source, dict) else None
        if not isinstance(data, str) or not isinstance(image.get("format"), str):
            raise bad_request(
                f"{where}.image needs a format and inline source.bytes (S3 is not supported)",
                param=where,
            )
        return ImagePart(data=data, media_type=f"image/{image['format']}")
    if isinstance(block.get("document"), dict):
        return document_to_core(block["document"], where)
    kind = next(iter(block), "?")
    raise bad_request(f"{where}: content block {kind!r} is not supported", param=where)


def _tool_result(raw: JSON, where: str) -> Message:
    parts: list[Part] = []
    for block in raw.get("content") or ():
        if isinstance(block, dict) and "json" in block:
            parts.append(TextPart(orjson.dumps(block["json"]).decode()))
        elif isinstance(block, dict):
            parts.append(_user_part(block, where))
    return Message(
        "tool",
        tuple(parts),
        tool_call_id=str(raw.get("toolUseId", "")),
        is_error=raw.get("status") == "error",
    )


def _tool_config(config: JSON) -> tuple[tuple[Tool, ...], ToolChoice | None]:
    tools: list[Tool] = []
    for raw in config.get("tools") or ():
        spec = raw.get("toolSpec") if isinstance(raw, dict) else None
        if not isinstance(spec, dict):
            continue  # cachePoint / systemTool entries have no neutral meaning
        if not isinstance(spec.get("name"), str):
            raise bad_request("toolSpec.name is required", param="toolConfig.tools")
        schema = (spec.get("inputSchema") or {}).get("json")
        tools.append(
            Tool(
                spec["name"],
                spec.get("description"),
                schema if isinstance(schema, dict) else {"type": "object", "properties": {}},
                spec.get("strict"),
            )
        )
    raw_choice = config.get("toolChoice")
    choice: ToolChoice | None = None
    if isinstance(raw_choice, dict) and "any" in raw_choice:
        choice = ToolChoice("required")
    elif isinstance(raw_choice, dict) and isinstance(raw_choice.get("tool"), dict):
        choice = ToolChoice("function", str(raw_choice["tool"].get("name", "")))
    elif isinstance(raw_choice, dict) and "auto" in raw_choice:
        choice = ToolChoice("auto")
    return tuple(tools), choice


def _response_format(raw: Any) -> ResponseFormat | None:
    if not isinstance(raw, dict):
        return None
    spec = (raw.get("structure") or {}).get("jsonSchema") or {}
    try:
        schema = orjson.loads(spec.get("schema") or "{}")
    except orjson.JSONDecodeError:
        raise bad_request(
            "outputConfig.textFormat schema must be JSON text", param="outputConfig"
        ) from None
    return ResponseFormat("json_schema", schema, spec.get("name"))


def _thinking(raw: Any) -> Reasoning | None:
    if isinstance(raw, dict) and raw.get("type") == "enabled":
        return Reasoning(budget_tokens=_opt_int(raw.get("budget_tokens")))
    return None


def _object(value: Any, name: str) -> JSON:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object", param=name)
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
