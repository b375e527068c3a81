"""Core → Gemini wire: bodies for Gemini upstreams, answers for Gemini clients."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    FinishReason,
    ImagePart,
    Message,
    Reasoning,
    Tool,
    ToolChoice,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.gemini.parts import (
    is_synthetic,
    model_parts,
    response_object,
    user_parts,
)
from cloverleaf.formats.gemini.schema import to_gemini
from cloverleaf.formats.gemini.to_core import FAILED, FILTERED

MAX_STOP_SEQUENCES = 5
#: effort → thinkingBudget, the gateway's convention (mapping.md §9); `minimal` is 512 because
#: that is the smallest budget every 2.5 model accepts (Flash-Lite's floor)
THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 4096, "high": 16384}
#: Gemini request fields a Gemini client sent that core has no slot for (kept in `extra`)
_PASSTHROUGH = ("safetySettings", "cachedContent", "labels")
#: Gemini's own tools, passed on only between Gemini dialects
_NATIVE_TOOLS = frozenset(
    {
        "googleSearch",
        "googleSearchRetrieval",
        "codeExecution",
        "urlContext",
        "googleMaps",
        "fileSearch",
        "enterpriseWebSearch",
        "computerUse",
    }
)
_FINISH = {
    FinishReason.STOP: "STOP",
    FinishReason.LENGTH: "MAX_TOKENS",
    FinishReason.TOOL_CALLS: "STOP",
    FinishReason.CONTENT_FILTER: "SAFETY",
    FinishReason.ERROR: "OTHER",
}
_KNOWN_FINISH = FILTERED | FAILED | {"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED"}
_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}


# -- requests (upstream side) ------------------------------------------------------------------


def request_from_core(request: ChatRequest) -> dict[str, Any]:
    """The body only: Gemini takes the model (and streaming) in the URL."""
    contents = _contents(request.messages)
    if not contents:
        raise bad_request("Gemini needs at least one user or assistant message", param="messages")
    body: dict[str, Any] = {"contents": contents}
    system = [m.text() for m in request.messages if m.role == "system"]
    if any(system):
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(t for t in system if t)}]}
    tools = _tools(request)
    if tools:
        body["tools"] = tools
    if request.tool_choice is not None:
        body["toolConfig"] = {"functionCallingConfig": _function_calling(request.tool_choice)}
    config = generation_config(request)
    if config:
        body["generationConfig"] = config
    body.update({k: request.extra[k] for k in _PASSTHROUGH if k in request.extra})
    return body


def _contents(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Roles become user/model; tool results become user turns; same-role turns merge."""
    names: dict[str, str] = {}  # tool call id → function name, for functionResponse
    contents: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if message.role == "system":
            continue
        if message.role == "assistant":
            role, parts = "model", model_parts(message, i)
            names.update((call.id, call.name) for call in message.tool_calls)
        elif message.role == "tool":
            role, parts = "user", [_function_response(message, names, i)]
        else:
            role, parts = "user", user_parts(message, i)
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def _function_response(message: Message, names: dict[str, str], index: int) -> dict[str, Any]:
    call_id = message.tool_call_id or ""
    name = names.get(call_id) or message.name
    if not name:
        raise bad_request(
            f"messages[{index}] answers tool call {call_id!r}, which no earlier assistant message"
            " made; Gemini needs the function's name",
            param=f"messages[{index}].tool_call_id",
        )
    if any(isinstance(p, ImagePart) for p in message.content):
        raise bad_request(
            f"messages[{index}]: Gemini tool results cannot carry images",
            param=f"messages[{index}].content",
        )
    response: dict[str, Any] = {
        "name": name,
        "response": response_object(message.text(), message.is_error),
    }
    if call_id and not is_synthetic(call_id):
        response["id"] = call_id
    return {"functionResponse": response}


def _tools(request: ChatRequest) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    if request.tools:
        declarations = [_declaration(t, i) for i, t in enumerate(request.tools)]
        tools.append({"functionDeclarations": declarations})
    native = request.extra.get("tools")
    if isinstance(native, list):
        tools.extend(
            t for t in native if isinstance(t, dict) and len(t) == 1 and set(t) <= _NATIVE_TOOLS
        )
    return tools


def _declaration(tool: Tool, index: int) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    parameters = to_gemini(tool.parameters, f"tools[{index}]")
    if parameters is not None:
        declaration["parameters"] = parameters
    return declaration


def _function_calling(choice: ToolChoice) -> dict[str, Any]:
    config: dict[str, Any] = {"mode": _CHOICE_MODES[choice.mode]}
    if choice.mode == "function":
        if not choice.name:
            raise bad_request("tool_choice names no function", param="tool_choice")
        config["allowedFunctionNames"] = [choice.name]
    return config


def generation_config(request: ChatRequest) -> dict[str, Any]:
    """Sampling, limits, JSON output and thinking; `parallel_tool_calls` and `user` have no
    Gemini field and are dropped (neither changes what a valid answer looks like)."""
    passed = request.extra.get("generationConfig")
    config: dict[str, Any] = dict(passed) if isinstance(passed, dict) else {}
    if len(request.stop) > MAX_STOP_SEQUENCES:
        raise bad_request(
            f"Gemini accepts at most {MAX_STOP_SEQUENCES} stop sequences, got {len(request.stop)}",
            param="stop",
        )
    values: dict[str, Any] = {
        "maxOutputTokens": request.max_tokens,
        "temperature": request.temperature,
        "topP": request.top_p,
        "topK": request.top_k,
        "stopSequences": list(request.stop) or None,
        "seed": request.seed,
        "presencePenalty": request.presence_penalty,
        "frequencyPenalty": request.frequency_penalty,
    }
    config.update({k: v for k, v in values.items() if v is not None})
    fmt = request.response_format
    if fmt is not None and fmt.kind != "text":
        config["responseMimeType"] = "application/json"
        if fmt.kind == "json_schema" and fmt.schema is not None:
            config["responseJsonSchema"] = fmt.schema
    if request.reasoning is not None:
        config["thinkingConfig"] = _thinking(request.reasoning, request.max_tokens)
    return config


def _thinking(reasoning: Reasoning, max_tokens: int | None) -> dict[str, Any]:
    """An effort becomes a budget, capped below `max_tokens` (thoughts count against it)."""
    budget = reasoning.budget_tokens
    if budget is None and reasoning.effort is not None:
        effort = reasoning.effort.lower()
        if effort not in THINKING_BUDGETS:
            raise bad_request(
                f"reasoning effort {reasoning.effort!r} is not one of "
                + ", ".join(THINKING_BUDGETS),
                param="reasoning_effort",
            )
        budget = THINKING_BUDGETS[effort]
        if max_tokens is not None and budget >= max_tokens:
            budget = max(0, max_tokens - 1)
    if budget == 0:
        return {"thinkingBudget": 0}
    config: dict[str, Any] = {"includeThoughts": True}
    if budget is not None:
        config["thinkingBudget"] = budget
    return config


# -- responses (client side) -------------------------------------------------------------------


def finish_value(reason: FinishReason, raw: str | None) -> str:
    """The upstream's own value when it is a Gemini one, else the mapped one."""
    return raw if raw in _KNOWN_FINISH and raw is not None else _FINISH[reason]


def usage_metadata(usage: Usage) -> dict[str, Any]:
    """Core completion tokens include reasoning; Gemini counts thoughts separately."""
    meta: dict[str, Any] = {
        "promptTokenCount": usage.prompt_tokens,
        "candidatesTokenCount": max(0, usage.completion_tokens - usage.reasoning_tokens),
        "totalTokenCount": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    }
    if usage.reasoning_tokens:
        meta["thoughtsTokenCount"] = usage.reasoning_tokens
    if usage.cached_tokens:
        meta["cachedContentTokenCount"] = usage.cached_tokens
    return meta


def response_from_core(response: ChatResponse) -> bytes:
    candidate: dict[str, Any] = {}
    parts = model_parts(response.message, 0)
    if parts:
        candidate["content"] = {"role": "model", "parts": parts}
    candidate["finishReason"] = finish_value(response.finish_reason, response.raw_finish_reason)
    candidate["index"] = 0
    return orjson.dumps(
        {
            "candidates": [candidate],
            "usageMetadata": usage_metadata(response.usage),
            "modelVersion": response.model,
            "responseId": response.id,
        }
    )
