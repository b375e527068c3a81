"""Core → Anthropic wire: `/v1/messages` bodies for Claude, answers for Anthropic clients."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import ChatRequest, ChatResponse, ReasoningPart, TextPart, ToolChoice
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.anthropic.call_ids import encode_call_id
from cloverleaf.formats.anthropic.messages_out import tool_input, turns_from_core
from cloverleaf.formats.anthropic.stop_reasons import stop_reason
from cloverleaf.formats.anthropic.usage import usage_from_core

#: room for the answer when the client set no `max_tokens` (Anthropic requires one)
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
#: the gateway's effort → budget convention (mapping.md §9); "none" turns thinking off
EFFORT_BUDGETS = {
    "none": 0,
    "minimal": 1024,
    "low": 1024,
    "medium": 4096,
    "high": 16384,
    "xhigh": 16384,
}
#: JSON mode has no Anthropic switch; the instruction is what OpenAI itself asks clients for
JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."
#: Anthropic request fields a same-dialect client may have sent (kept in `extra`)
_PASSTHROUGH = frozenset({"container", "context_management", "mcp_servers"})
_SERVICE_TIERS = frozenset({"auto", "standard_only"})


def request_from_core(request: ChatRequest, model: str) -> dict[str, Any]:
    _reject_unsupported(request.extra)
    system, messages = turns_from_core(request.messages)
    max_tokens, thinking = _limits(request)
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": messages}
    fmt = request.response_format
    if fmt is not None and fmt.kind == "json_object":
        system = f"{system}\n\n{JSON_OBJECT_INSTRUCTION}" if system else JSON_OBJECT_INSTRUCTION
    if system:
        body["system"] = system
    if thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": thinking}
    if request.temperature is not None:
        body["temperature"] = min(1.0, max(0.0, request.temperature))  # OpenAI allows up to 2
    optional = {"top_p": request.top_p, "top_k": request.top_k}
    body.update({k: v for k, v in optional.items() if v is not None})
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = [
            _tool(t.name, t.description, t.parameters, t.strict) for t in request.tools
        ]
        choice = _tool_choice(request.tool_choice, request.parallel_tool_calls)
        if choice is not None:
            body["tool_choice"] = choice
    if fmt is not None and fmt.kind == "json_schema":
        body["output_config"] = {"format": {"type": "json_schema", "schema": fmt.schema or {}}}
    if request.user:
        body["metadata"] = {"user_id": request.user}
    body.update({k: v for k, v in request.extra.items() if k in _PASSTHROUGH})
    if request.extra.get("service_tier") in _SERVICE_TIERS:
        body["service_tier"] = request.extra["service_tier"]
    if request.stream:
        body["stream"] = True
    return body


def _reject_unsupported(extra: dict[str, Any]) -> None:
    """OpenAI options whose loss would change what the client gets back. Softer ones (seed,
    penalties, store, prediction, ...) are dropped."""
    n = extra.get("n")
    if n is not None and n != 1:
        raise bad_request("n: Anthropic returns a single choice", param="n")
    if extra.get("logprobs") or extra.get("top_logprobs"):
        param = "logprobs" if extra.get("logprobs") else "top_logprobs"
        raise bad_request(f"{param}: Anthropic does not return log probabilities", param=param)
    if extra.get("logit_bias"):
        raise bad_request("logit_bias: not supported by Anthropic", param="logit_bias")
    if "audio" in (extra.get("modalities") or ()) or extra.get("audio"):
        raise bad_request("modalities: Anthropic does not produce audio", param="modalities")


def _limits(request: ChatRequest) -> tuple[int, int]:
    """(max_tokens, thinking budget or 0). The budget is capped below an explicit max_tokens;
    without one it is added on top of the default, so thinking cannot starve the answer."""
    budget = 0
    reasoning = request.reasoning
    if reasoning is not None and reasoning.budget_tokens is not None:
        budget = reasoning.budget_tokens
    elif reasoning is not None and reasoning.effort is not None:
        if reasoning.effort not in EFFORT_BUDGETS:
            raise bad_request(
                f"reasoning_effort: unknown level {reasoning.effort!r}", param="reasoning_effort"
            )
        budget = EFFORT_BUDGETS[reasoning.effort]
    if request.max_tokens is None:
        return DEFAULT_MAX_TOKENS + budget, budget
    if budget:
        budget = min(budget, request.max_tokens - 1)
        if budget < MIN_THINKING_BUDGET:
            raise bad_request(
                "max_tokens: Anthropic thinking needs max_tokens above 1024", param="max_tokens"
            )
    return request.max_tokens, budget


def _tool(
    name: str, description: str | None, parameters: dict[str, Any], strict: bool | None
) -> dict[str, Any]:
    schema = parameters if "type" in parameters else {"type": "object", **parameters}
    tool: dict[str, Any] = {"name": name}
    if description:
        tool["description"] = description
    tool["input_schema"] = schema
    if strict is not None:
        tool["strict"] = strict
    return tool


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> dict[str, Any] | None:
    if choice is not None and choice.mode == "none":
        return {"type": "none"}  # takes no disable_parallel_tool_use: nothing will be called
    out: dict[str, Any] | None = None
    if choice is not None:
        kinds = {"auto": "auto", "required": "any", "function": "tool"}
        out = {"type": kinds[choice.mode]}
        if choice.mode == "function":
            out["name"] = choice.name
    if parallel is False:
        out = {"type": "auto", **(out or {}), "disable_parallel_tool_use": True}
    return out


def response_from_core(response: ChatResponse) -> bytes:
    content: list[dict[str, Any]] = []
    for part in response.message.content:
        if isinstance(part, ReasoningPart):
            content.append(reasoning_block(part))
        elif isinstance(part, TextPart) and part.text:
            content.append({"type": "text", "text": part.text})
    for call in response.message.tool_calls:
        call_id = encode_call_id(call.id, call.signature)
        content.append({"type": "tool_use", "id": call_id, "name": call.name})
        content[-1]["input"] = tool_input(call)
    return orjson.dumps(
        {
            "id": response.id,
            "type": "message",
            "role": "assistant",
            "model": response.model,
            "content": content,
            "stop_reason": stop_reason(response.finish_reason, response.raw_finish_reason),
            "stop_sequence": None,
            "usage": usage_from_core(response.usage),
        }
    )


def reasoning_block(part: ReasoningPart) -> dict[str, Any]:
    """Another provider's reasoning has no signature; it is shown with an empty one."""
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.data or ""}
    return {"type": "thinking", "thinking": part.text, "signature": part.signature or ""}
