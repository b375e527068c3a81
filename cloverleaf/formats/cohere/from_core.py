"""Core → Cohere v2 wire: request bodies for Cohere upstreams, answers for Cohere clients.

Choices where the two worlds differ:
- A forced single function has no Cohere switch: only that tool is sent, with `REQUIRED`.
- Assistant text that accompanies tool calls goes out as `tool_plan`, Cohere's place for it.
- Reasoning effort becomes `thinking.token_budget` (low 1024, medium 4096, high 16384).
- Per-tool `strict` becomes the request-wide `strict_tools` when any tool asks for it.
- `parallel_tool_calls` and `user` have no Cohere field and are dropped; `n > 1` is refused.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    ImagePart,
    Message,
    Part,
    Reasoning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    first_document,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.cohere.wire import finish_from_core, usage_from_core

#: the gateway's effort → budget convention (mapping.md §9); "none" turns thinking off
EFFORT_BUDGETS = {"none": 0, "minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
#: Cohere request fields a Cohere client may have sent (kept in `extra`)
PASSTHROUGH = frozenset(
    {"documents", "citation_options", "safety_mode", "logprobs", "priority", "strict_tools"}
)


def request_from_core(request: ChatRequest, model: str) -> dict[str, Any]:
    _reject_unsupported(request)
    body: dict[str, Any] = {"model": model, "messages": [_message(m) for m in request.messages]}
    optional: dict[str, Any] = {
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "p": request.top_p,
        "k": request.top_k,
        "seed": request.seed,
        "frequency_penalty": request.frequency_penalty,
        "presence_penalty": request.presence_penalty,
        "stop_sequences": list(request.stop) or None,
        "response_format": _response_format(request.response_format),
        "thinking": _thinking(request.reasoning),
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    body.update(_tools(request))
    if request.source == "cohere":
        body.update({k: v for k, v in request.extra.items() if k in PASSTHROUGH})
    body["stream"] = request.stream
    return body


def _reject_unsupported(request: ChatRequest) -> None:
    n = request.extra.get("n")
    if isinstance(n, int) and n > 1:
        raise bad_request("n: Cohere returns a single choice", param="n")
    if request.extra.get("logit_bias"):
        raise bad_request("logit_bias is not supported by Cohere", param="logit_bias")
    where = first_document(request.messages)
    if where is not None:
        raise bad_request(f"{where}: Cohere chat cannot read file or PDF parts", param=where)


def _tools(request: ChatRequest) -> dict[str, Any]:
    choice = request.tool_choice
    tools = request.tools
    out: dict[str, Any] = {}
    if choice is not None and choice.mode == "function":
        tools = tuple(t for t in tools if t.name == choice.name)
        if not tools:
            raise bad_request(
                f"tool_choice names unknown tool {choice.name!r}", param="tool_choice"
            )
        out["tool_choice"] = "REQUIRED"
    elif choice is not None and choice.mode in ("required", "none"):
        out["tool_choice"] = choice.mode.upper()
    if tools:
        out["tools"] = [_tool(t) for t in tools]
    if any(t.strict for t in tools):
        out["strict_tools"] = True
    return out


def _tool(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.parameters
    return {"type": "function", "function": function}


def _response_format(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    if fmt is None or fmt.kind == "text":
        return None
    if fmt.kind == "json_schema" and fmt.schema is not None:
        return {"type": "json_object", "json_schema": fmt.schema}
    return {"type": "json_object"}


def _thinking(reasoning: Reasoning | None) -> dict[str, Any] | None:
    if reasoning is None:
        return None
    budget = reasoning.budget_tokens
    if budget is None and reasoning.effort is not None:
        if reasoning.effort not in EFFORT_BUDGETS:
            message = f"reasoning_effort: unknown level {reasoning.effort!r}"
            raise bad_request(message, param="reasoning_effort")
        budget = EFFORT_BUDGETS[reasoning.effort]
    if not budget:
        return {"type": "disabled"}
    return {"type": "enabled", "token_budget": budget}


def _message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
        out["content"] = message.text()
        return out
    if message.role == "assistant" and message.tool_calls:
        if message.text():
            out["tool_plan"] = message.text()
        out["tool_calls"] = [_call(c) for c in message.tool_calls]
        thinking = [p for p in message.content if _readable_reasoning(p)]
        if thinking:
            out["content"] = [_part(p) for p in thinking]
        return out
    if len(message.content) == 1 and isinstance(message.content[0], TextPart):
        out["content"] = message.content[0].text
    else:
        out["content"] = [_part(p) for p in message.content if _sendable(p)]
    return out


def _sendable(part: Part) -> TypeGuard[TextPart | ImagePart | ReasoningPart]:
    """Redacted reasoning has nothing Cohere could read; documents were refused earlier."""
    if isinstance(part, ReasoningPart):
        return not part.redacted
    return isinstance(part, TextPart | ImagePart)


def _readable_reasoning(part: Part) -> TypeGuard[ReasoningPart]:
    return isinstance(part, ReasoningPart) and not part.redacted


def _part(part: TextPart | ImagePart | ReasoningPart) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ReasoningPart):
        return {"type": "thinking", "thinking": part.text}
    image: dict[str, Any] = {"url": part.as_url()}
    if part.detail:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def _call(call: ToolCall) -> dict[str, Any]:
    function = {"name": call.name, "arguments": call.arguments}
    return {"id": call.id, "type": "function", "function": function}


def response_from_core(response: ChatResponse) -> bytes:
    """A v2 chat response; text next to tool calls becomes the `tool_plan`."""
    message = response.message
    out: dict[str, Any] = {"role": "assistant"}
    content = [_part(p) for p in message.content if _readable_reasoning(p)]
    if message.tool_calls:
        if message.text():
            out["tool_plan"] = message.text()
        out["tool_calls"] = [_call(c) for c in message.tool_calls]
    elif message.text():
        content.append({"type": "text", "text": message.text()})
    if content:
        out["content"] = content
    body = {
        "id": response.id,
        "finish_reason": finish_from_core(response.finish_reason, response.raw_finish_reason),
        "message": out,
        "usage": usage_from_core(response.usage),
    }
    return orjson.dumps(body)
