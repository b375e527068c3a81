"""Gemini wire → core: request bodies Gemini clients send, responses Gemini upstreams return."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    DocumentPart,
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
from cloverleaf.formats.gemini.parts import (
    FunctionResponse,
    Item,
    camel_case,
    read_parts,
    response_text,
    split_items,
    wire,
)
from cloverleaf.formats.gemini.schema import from_gemini

FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
FAILED = frozenset(
    {
        "MALFORMED_FUNCTION_CALL",
        "UNEXPECTED_TOOL_CALL",
        "TOO_MANY_TOOL_CALLS",
        "LANGUAGE",
        "OTHER",
        "NO_IMAGE",
        "IMAGE_OTHER",
    }
)
#: request fields the core model carries (both spellings); the rest rides in `extra`
_CONSUMED = frozenset(
    {"model", "stream", "contents", "systemInstruction", "generationConfig", "tools", "toolConfig"}
)
_CONSUMED_CONFIG = frozenset(
    {
        "maxOutputTokens",
        "temperature",
        "topP",
        "topK",
        "stopSequences",
        "seed",
        "presencePenalty",
        "frequencyPenalty",
        "thinkingConfig",
        "candidateCount",
    }
)
_JSON_SCHEMA_KEYS = ("responseJsonSchema", "responseSchema")


def finish_reason(raw: Any, has_calls: bool) -> FinishReason:
    """Gemini has no tool-call reason: a call ends with `STOP` and functionCall parts."""
    if raw == "MAX_TOKENS":
        return FinishReason.LENGTH
    if raw in FILTERED:
        return FinishReason.CONTENT_FILTER
    if raw in FAILED:
        return FinishReason.ERROR
    return FinishReason.TOOL_CALLS if has_calls else FinishReason.STOP


def usage_to_core(meta: Any) -> Usage:
    """`thoughtsTokenCount` is not inside `candidatesTokenCount`; counts are absent when zero."""
    if not isinstance(meta, dict):
        return Usage()
    prompt = _count(meta, "promptTokenCount") + _count(meta, "toolUsePromptTokenCount")
    thoughts = _count(meta, "thoughtsTokenCount")
    completion = _count(meta, "candidatesTokenCount") + thoughts
    total = _count(meta, "totalTokenCount") or prompt + completion
    return Usage(prompt, completion, total, _count(meta, "cachedContentTokenCount"), thoughts)


def _count(meta: dict[str, Any], name: str) -> int:
    value = wire(meta, name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def block_reason(data: dict[str, Any]) -> str | None:
    feedback = wire(data, "promptFeedback")
    reason = wire(feedback, "blockReason") if isinstance(feedback, dict) else None
    return reason if isinstance(reason, str) else None


# -- responses (upstream side) -----------------------------------------------------------------


def response_to_core(body: bytes, provider: str) -> ChatResponse:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise GatewayError(
            502, "the upstream answered with an unreadable Gemini response",
            type="server_error", provider=provider or None,
        )  # fmt: skip
    candidates = data.get("candidates")
    candidate = candidates[0] if isinstance(candidates, list) and candidates else {}
    content = candidate.get("content") if isinstance(candidate, dict) else None
    items = read_parts(
        content.get("parts") if isinstance(content, dict) else None,
        "candidates[0].content", itertools.count(), strict=False,
    )  # fmt: skip
    parts, calls = split_items(items)
    raw = candidate.get("finishReason") if isinstance(candidate, dict) else None
    blocked = block_reason(data) if not candidate else None
    return ChatResponse(
        id=str(wire(data, "responseId") or ""),
        model=str(wire(data, "modelVersion") or ""),
        message=Message("assistant", parts, calls),
        finish_reason=FinishReason.CONTENT_FILTER if blocked else finish_reason(raw, bool(calls)),
        usage=usage_to_core(wire(data, "usageMetadata")),
        raw_finish_reason=blocked or (raw if isinstance(raw, str) else None),
    )


# -- requests (client side) --------------------------------------------------------------------


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    """`model` and `stream` are not in a Gemini body: the route injects them from the URL."""
    contents = wire(body, "contents")
    if not isinstance(contents, list) or not contents:
        raise bad_request("contents must be a non-empty array", param="contents")
    config = _object(wire(body, "generationConfig"), "generationConfig")
    count = wire(config, "candidateCount")
    if isinstance(count, int) and count > 1:
        raise bad_request(
            "candidateCount above 1 is not supported: the gateway returns one candidate",
            param="generationConfig.candidateCount",
        )
    tools, extra_tools = _tools(wire(body, "tools"))
    choice, tools = _tool_choice(wire(body, "toolConfig"), tools)
    extra = {camel_case(k): v for k, v in body.items() if camel_case(k) not in _CONSUMED}
    leftover = {
        camel_case(k): v for k, v in config.items() if camel_case(k) not in _CONSUMED_CONFIG
    }
    response_format = _response_format(leftover)
    if leftover:
        extra["generationConfig"] = leftover
    if extra_tools:
        extra["tools"] = extra_tools
    model = body.get("model")
    stop = wire(config, "stopSequences")
    return ChatRequest(
        model=model.removeprefix("models/") if isinstance(model, str) else "",
        messages=(*_system(wire(body, "systemInstruction")), *_conversation(contents)),
        stream=body.get("stream") is True,
        max_tokens=_int(wire(config, "maxOutputTokens")),
        temperature=_float(config.get("temperature")),
        top_p=_float(wire(config, "topP")),
        top_k=_int(wire(config, "topK")),
        stop=tuple(s for s in stop if isinstance(s, str)) if isinstance(stop, list) else (),
        seed=_int(config.get("seed")),
        frequency_penalty=_float(wire(config, "frequencyPenalty")),
        presence_penalty=_float(wire(config, "presencePenalty")),
        tools=tuple(tools),
        tool_choice=choice,
        response_format=response_format,
        reasoning=_reasoning(config),
        extra=extra,
    )


def _system(raw: Any) -> list[Message]:
    if isinstance(raw, str):
        return [Message("system", (TextPart(raw),))] if raw else []
    if not isinstance(raw, dict):
        return []
    items = read_parts(raw.get("parts"), "systemInstruction", itertools.count(), strict=True)
    texts = tuple(i for i in items if isinstance(i, TextPart))
    return [Message("system", texts)] if texts else []


def _conversation(contents: list[Any]) -> list[Message]:
    ids = itertools.count()  # synthesized call ids are unique across the whole conversation
    pending: list[ToolCall] = []  # the latest model turn's calls not answered yet
    messages: list[Message] = []
    for i, content in enumerate(contents):
        where = f"contents[{i}]"
        if not isinstance(content, dict):
            raise bad_request(f"{where} must be an object", param=where)
        role = content.get("role") or "user"
        items = read_parts(content.get("parts"), where, ids, strict=True)
        if not items:
            raise bad_request(f"{where}.parts must not be empty", param=f"{where}.parts")
        if role == "model":
            if any(isinstance(item, FunctionResponse) for item in items):
                raise bad_request(f"{where}: functionResponse belongs in a user turn", param=where)
            parts, calls = split_items(items)
            messages.append(Message("assistant", parts, calls))
            pending = list(calls)
        elif role in ("user", "function"):
            messages.extend(_user_turn(items, pending, where))
        else:
            raise bad_request(f"{where}.role must be user or model", param=f"{where}.role")
    return messages


def _user_turn(items: list[Item], pending: list[ToolCall], where: str) -> list[Message]:
    """Tool results become `tool` messages; other parts keep their order around them."""
    out: list[Message] = []
    parts: list[Part] = []
    for item in items:
        if isinstance(item, FunctionResponse):
            if parts:
                out.append(Message("user", tuple(parts)))
                parts = []
            out.append(_tool_result(item, pending, where))
        elif isinstance(item, ToolCall):
            raise bad_request(f"{where}: functionCall belongs in a model turn", param=where)
        elif isinstance(item, TextPart | ImagePart | DocumentPart | ReasoningPart):
            parts.append(item)
    if parts:
        out.append(Message("user", tuple(parts)))
    return out


def _tool_result(item: FunctionResponse, pending: list[ToolCall], where: str) -> Message:
    """Match by id when Gemini gave one, else by name in call order (parallel calls)."""
    match = next((c for c in pending if item.id is not None and c.id == item.id), None)
    match = match or next((c for c in pending if c.name == item.name), None)
    if match is None:
        raise bad_request(
            f"{where}: functionResponse {item.name!r} answers no functionCall of the model turn"
            " before it",
            param=where,
        )
    pending.remove(match)
    text, failed = response_text(item.response)
    return Message(
        "tool", (TextPart(text),), tool_call_id=match.id, name=match.name, is_error=failed
    )


def _tools(raw: Any) -> tuple[list[Tool], list[Any]]:
    """Function declarations → core tools; Gemini's own tools (googleSearch, ...) stay as-is."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        raise bad_request("tools must be an array", param="tools")
    tools: list[Tool] = []
    others: list[Any] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise bad_request(f"tools[{i}] must be an object", param=f"tools[{i}]")
        declarations = wire(entry, "functionDeclarations")
        if not isinstance(declarations, list):
            others.append({camel_case(k): v for k, v in entry.items()})
            continue
        for j, declaration in enumerate(declarations):
            tools.append(_tool(declaration, f"tools[{i}].functionDeclarations[{j}]"))
    return tools, others


def _tool(raw: Any, where: str) -> Tool:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise bad_request(f"{where} needs a name", param=where)
    schema = wire(raw, "parametersJsonSchema")
    if not isinstance(schema, dict):
        schema = from_gemini(raw.get("parameters")) if raw.get("parameters") else None
    description = raw.get("description")
    return Tool(
        name=raw["name"],
        description=description if isinstance(description, str) else None,
        parameters=schema or {"type": "object", "properties": {}},
    )


def _tool_choice(raw: Any, tools: list[Tool]) -> tuple[ToolChoice | None, list[Tool]]:
    """`ANY` with several allowed names has no core form: narrow the tools, then `required`."""
    config = wire(raw, "functionCallingConfig") if isinstance(raw, dict) else None
    if not isinstance(config, dict):
        return None, tools
    mode = str(config.get("mode") or "AUTO").upper()
    names = wire(config, "allowedFunctionNames")
    allowed = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
    if mode == "NONE":
        return ToolChoice("none"), tools
    if mode != "ANY":
        return ToolChoice("auto"), tools
    if len(allowed) == 1:
        return ToolChoice("function", allowed[0]), tools
    if allowed:
        tools = [t for t in tools if t.name in allowed]
    return ToolChoice("required"), tools


def _response_format(leftover: dict[str, Any]) -> ResponseFormat | None:
    """Consumes the JSON-output keys from `leftover`; other mime types stay Gemini-only."""
    if leftover.get("responseMimeType") != "application/json":
        return None
    del leftover["responseMimeType"]
    schema = leftover.pop("responseJsonSchema", None)
    if schema is None and "responseSchema" in leftover:
        schema = from_gemini(leftover.pop("responseSchema"))
    if isinstance(schema, dict):
        return ResponseFormat("json_schema", schema)
    return ResponseFormat("json_object")


def _reasoning(config: dict[str, Any]) -> Reasoning | None:
    """A budget of -1 ("dynamic") is a Reasoning with neither field: think, provider default."""
    thinking = wire(config, "thinkingConfig")
    if not isinstance(thinking, dict):
        return None
    budget = _int(wire(thinking, "thinkingBudget"))
    level = wire(thinking, "thinkingLevel")
    effort = level.lower() if isinstance(level, str) else None
    if budget is None and effort is None and wire(thinking, "includeThoughts") is not True:
        return None
    return Reasoning(effort=effort, budget_tokens=budget if budget != -1 else None)


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object", param=name)
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
