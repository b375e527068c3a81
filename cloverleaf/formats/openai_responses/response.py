"""A core chat answer rendered as a Responses object (`object: "response"`).

The object repeats the request's settings (`Echo`), as OpenAI's does; nothing is stored, so
`store` is always false. A thinking block's signature travels as the reasoning item's
`encrypted_content` and comes back with it in the next turn's input (see items.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloverleaf.core.chat import ChatResponse, FinishReason, ReasoningPart, TextPart, ToolCall
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_responses.tools import tools_echo

#: the settings a response repeats, with OpenAI's defaults for those the request left out
_DEFAULTS: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "temperature": 1.0,
    "tool_choice": "auto",
    "top_p": 1.0,
    "truncation": "disabled",
    "user": None,
}


#: echoed fields OpenAI writes before `model`
_LEADING = ("instructions", "max_output_tokens")


@dataclass(frozen=True, slots=True)
class Echo:
    """What the client asked for, as the Responses object repeats it, and when it was made."""

    created_at: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    #: the response id to use when the upstream's stream names none
    id: str = ""

    @classmethod
    def of(cls, body: dict[str, Any], created_at: int, fallback_id: str = "") -> Echo:
        fields = {name: body.get(name, default) for name, default in _DEFAULTS.items()}
        reasoning = body.get("reasoning")
        fields["reasoning"] = {
            "effort": reasoning.get("effort") if isinstance(reasoning, dict) else None,
            "summary": reasoning.get("summary") if isinstance(reasoning, dict) else None,
        }
        text = body.get("text")
        text_format = text.get("format") if isinstance(text, dict) else None
        fields["text"] = {"format": text_format or {"type": "text"}}
        fields["tools"] = tools_echo(body.get("tools"))
        return cls(created_at, fields, fallback_id)


def response_id(upstream_id: str) -> str:
    return upstream_id if upstream_id.startswith("resp_") else f"resp_{upstream_id}"


def status_of(reason: FinishReason | None) -> tuple[str, dict[str, Any] | None]:
    """(status, incomplete_details) for how the model stopped."""
    if reason is FinishReason.LENGTH:
        return "incomplete", {"reason": "max_output_tokens"}
    if reason is FinishReason.CONTENT_FILTER:
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def usage_dict(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }


def usage_from_responses(raw: Any) -> Usage | None:
    """A Responses `usage` object (from OpenAI itself, forwarded) as the core's Usage."""
    if not isinstance(raw, dict):
        return None
    prompt, completion = _int(raw.get("input_tokens")), _int(raw.get("output_tokens"))
    inputs, outputs = raw.get("input_tokens_details"), raw.get("output_tokens_details")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_int(raw.get("total_tokens")) or prompt + completion,
        cached_tokens=_int(inputs.get("cached_tokens")) if isinstance(inputs, dict) else 0,
        reasoning_tokens=_int(outputs.get("reasoning_tokens")) if isinstance(outputs, dict) else 0,
        cache_write_tokens=_int(inputs.get("cache_write_tokens"))
        if isinstance(inputs, dict)
        else 0,
    )


def envelope(
    rid: str,
    model: str,
    echo: Echo,
    status: str,
    output: list[dict[str, Any]],
    *,
    usage: Usage | None = None,
    incomplete: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Responses object, in OpenAI's field order; also the `response` of stream events."""
    fields = echo.fields or Echo.of({}, 0).fields
    return {
        "id": rid,
        "object": "response",
        "created_at": echo.created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete,
        **{k: v for k, v in fields.items() if k in _LEADING},
        "model": model,
        "output": output,
        "previous_response_id": None,
        "store": False,
        **{k: v for k, v in fields.items() if k not in _LEADING},
        "usage": usage_dict(usage) if usage is not None else None,
    }


def reasoning_item(item_id: str, text: str, signature: str | None) -> dict[str, Any]:
    summary = [{"type": "summary_text", "text": text}] if text else []
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": summary}
    if signature is not None:
        item["encrypted_content"] = signature
    return item


def message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [output_text(text)],
    }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def function_call_item(call: ToolCall, status: str) -> dict[str, Any]:
    return {
        "id": f"fc_{call.id}",
        "type": "function_call",
        "status": status,
        "arguments": call.arguments,
        "call_id": call.id,
        "name": call.name,
    }


def response_from_core(response: ChatResponse, echo: Echo) -> bytes:
    rid = response_id(response.id)
    base = rid.removeprefix("resp_")
    status, incomplete = status_of(response.finish_reason)
    item_status = "incomplete" if status == "incomplete" else "completed"
    message = response.message
    output: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, ReasoningPart) and not part.redacted:
            item_id = f"rs_{base}_{len(output)}"
            output.append(reasoning_item(item_id, part.text, part.signature))
    text = "".join(p.text for p in message.content if isinstance(p, TextPart))
    if text or not message.tool_calls:
        output.append(message_item(f"msg_{base}", text, item_status))
    output += [function_call_item(call, "completed") for call in message.tool_calls]
    body = envelope(
        rid, response.model, echo, status, output, usage=response.usage, incomplete=incomplete
    )
    return orjson.dumps(body)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
