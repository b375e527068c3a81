"""Core → Converse wire: request bodies for Bedrock, answers for Converse-speaking clients.

Decisions (mapping.md §1-9): system messages are hoisted and joined with a blank line; turns are
merged so they alternate; JSON Schema output uses the native `outputConfig.textFormat` (the
forced-tool emulation would need the decoders to know the request, which the contract does not
give them); JSON mode, which Converse lacks, becomes a system instruction.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    DocumentPart,
    FinishReason,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCall,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.bedrock_converse.documents import document_block
from cloverleaf.formats.bedrock_converse.to_core import STOP_REASONS

JSON = dict[str, Any]
#: top-level Converse fields a Converse client may send that have no neutral meaning
PASSTHROUGH = (
    "guardrailConfig",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "additionalModelResponseFieldPaths",
    "outputConfig",
)
#: a gateway convention, not a provider rule (mapping.md §9)
EFFORT_BUDGETS = {"none": 0, "minimal": 1024, "low": 1024, "medium": 4096, "high": 16384}
EFFORT_BUDGETS |= {"xhigh": 32768}
#: room left for the answer when thinking is on and the client set no max_tokens
ANSWER_TOKENS = 4096
MIN_THINKING_BUDGET = 1024
JSON_MODE_INSTRUCTION = "Respond only with one valid JSON object and nothing else."
IMAGE_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "gif": "gif", "webp": "webp"}
_FINISH_TO_STOP = {
    FinishReason.STOP: "end_turn",
    FinishReason.LENGTH: "max_tokens",
    FinishReason.TOOL_CALLS: "tool_use",
    FinishReason.CONTENT_FILTER: "content_filtered",
    FinishReason.ERROR: "malformed_model_output",
}


def request_from_core(request: ChatRequest, model: str) -> JSON:
    """The Converse body for `model`; the model itself travels in the URL (`converse_path`)."""
    body: JSON = {k: request.extra[k] for k in PASSTHROUGH if k in request.extra}
    system, turns = _conversation(request.messages)
    if request.response_format is not None and request.response_format.kind == "json_object":
        system.append({"text": JSON_MODE_INSTRUCTION})
    if system:
        body["system"] = system
    body["messages"] = turns
    inference = _inference(request)
    additional = _additional_fields(request, model, inference)
    if inference:
        body["inferenceConfig"] = inference
    tool_config = _tool_config(request, turns)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    if additional:
        body["additionalModelRequestFields"] = additional
    fmt = request.response_format
    if fmt is not None and fmt.kind == "json_schema":
        schema = {"schema": orjson.dumps(fmt.schema or {}).decode(), "name": fmt.name or "response"}
        output = dict(body.get("outputConfig") or {})
        output["textFormat"] = {"type": "json_schema", "structure": {"jsonSchema": schema}}
        body["outputConfig"] = output
    return body


def _conversation(messages: tuple[Message, ...]) -> tuple[list[JSON], list[JSON]]:
    """(system blocks, turns): turns start with user and alternate, tool results ride in the
    user turn, consecutive same-role turns are merged, empty turns dropped."""
    system_texts: list[str] = []
    turns: list[JSON] = []
    names: set[str] = set()  # document names, unique per request
    for index, message in enumerate(messages):
        if message.role == "system":
            if text := message.text():
                system_texts.append(text)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message, index, names)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if not turns:
        raise bad_request("Bedrock Converse needs at least one user message", param="messages")
    if turns[0]["role"] != "user":
        raise bad_request(
            "Bedrock Converse conversations must start with a user message", param="messages"
        )
    system = [{"text": "\n\n".join(system_texts)}] if system_texts else []
    return system, turns


def _blocks(message: Message, index: int, names: set[str]) -> list[JSON]:
    if message.role == "tool":
        return [_tool_result(message, index, names)]
    blocks: list[JSON] = []
    for position, part in enumerate(message.content):
        where = f"messages[{index}].content[{position}]"
        if isinstance(part, TextPart):
            if part.text:  # Converse rejects blank text blocks
                blocks.append({"text": part.text})
        elif isinstance(part, ImagePart):
            if message.role == "assistant":
                raise bad_request(
                    f"{where}: Bedrock accepts images only from the user", param=where
                )
            blocks.append(image_block(part, where))
        elif isinstance(part, DocumentPart):
            if message.role == "assistant":
                raise bad_request(
                    f"{where}: Bedrock accepts documents only from the user", param=where
                )
            blocks.append(document_block(part, where, names))
        elif message.role == "assistant":
            reasoning = _reasoning_block(part)
            if reasoning is not None:
                blocks.append(reasoning)
    if message.role == "assistant":
        blocks.extend(_tool_use(call) for call in message.tool_calls)
    return blocks


def _reasoning_block(part: ReasoningPart) -> JSON | None:
    """Thinking goes back only when the provider can verify it (signed or redacted); unsigned
    reasoning from another dialect (DeepSeek-style `reasoning_content`) is dropped."""
    if part.redacted:
        return {"reasoningContent": {"redactedContent": part.data}} if part.data else None
    if part.signature is None:
        return None
    return {"reasoningContent": {"reasoningText": {"text": part.text, "signature": part.signature}}}


def image_block(part: ImagePart, where: str) -> JSON:
    """Inline bytes only: Converse takes no URLs (only S3), and translators never download."""
    if part.data is None:
        raise bad_request(
            f"{where}: Bedrock Converse cannot fetch image URLs; send the image inline as a "
            "base64 data: URI",
            param=where,
            code="image_url_not_supported",
        )
    subtype = (part.media_type or "").lower().removeprefix("image/")
    fmt = IMAGE_FORMATS.get(subtype)
    if fmt is None:
        raise bad_request(
            f"{where}: image type {part.media_type!r} is not supported by Bedrock "
            "(png, jpeg, gif, webp)",
            param=where,
        )
    return {"image": {"format": fmt, "source": {"bytes": part.data}}}


def _tool_result(message: Message, index: int, names: set[str]) -> JSON:
    if not message.tool_call_id:
        where = f"messages[{index}].tool_call_id"
        raise bad_request(f"{where} is required to answer a tool call", param=where)
    content: list[JSON] = []
    for position, part in enumerate(message.content):
        if isinstance(part, TextPart) and part.text:
            content.append({"text": part.text})
        elif isinstance(part, ImagePart):
            content.append(image_block(part, f"messages[{index}].content[{position}]"))
        elif isinstance(part, DocumentPart):
            where = f"messages[{index}].content[{position}]"
            content.append(document_block(part, where, names))
    result: JSON = {"toolUseId": message.tool_call_id, "content": content}
    if message.is_error:  # `status` is Claude/Nova only: send it only when it carries news
        result["status"] = "error"
    return {"toolResult": result}


def _tool_use(call: ToolCall) -> JSON:
    return {"toolUse": {"toolUseId": call.id, "name": call.name, "input": arguments(call)}}


def arguments(call: ToolCall) -> Any:
    """OpenAI carries arguments as JSON text, Converse as an object: parse, and send `{}` for
    text that is not a JSON object (mapping.md §4)."""
    try:
        value = orjson.loads(call.arguments or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _inference(request: ChatRequest) -> JSON:
    inference: JSON = {}
    if request.max_tokens is not None:
        inference["maxTokens"] = request.max_tokens
    if request.temperature is not None:
        inference["temperature"] = request.temperature
    if request.top_p is not None:
        inference["topP"] = request.top_p
    if request.stop:
        inference["stopSequences"] = list(request.stop)
    return inference


def _additional_fields(request: ChatRequest, model: str, inference: JSON) -> JSON:
    """Model-specific fields (mapping.md §7, §9); `inference` may gain `maxTokens` for thinking."""
    raw = request.extra.get("additionalModelRequestFields")
    fields: JSON = dict(raw) if isinstance(raw, dict) else {}
    for name in ("frequency_penalty", "presence_penalty"):
        if getattr(request, name):
            raise bad_request(f"{name} is not supported by Bedrock Converse", param=name)
    family = model.lower()
    if request.top_k is not None:
        if "claude" in family:
            fields["top_k"] = request.top_k
        elif "nova" in family:
            nested = dict(fields.get("inferenceConfig") or {})
            fields["inferenceConfig"] = {**nested, "topK": request.top_k}
        else:
            raise bad_request(f"top_k is not supported for Bedrock model {model}", param="top_k")
    if "claude" in family:
        thinking = _thinking(request, inference)
        if thinking is not None:
            fields["thinking"] = thinking
    return fields


def _thinking(request: ChatRequest, inference: JSON) -> JSON | None:
    """Anthropic-style thinking for Claude; the budget stays below max_tokens as Claude needs."""
    reasoning = request.reasoning
    if reasoning is None:
        return None
    budget = reasoning.budget_tokens
    if budget is None:
        effort = (reasoning.effort or "").lower()
        if effort not in EFFORT_BUDGETS:
            raise bad_request(f"reasoning effort {effort!r} is not supported", param="reasoning")
        budget = EFFORT_BUDGETS[effort]
    if budget <= 0:
        return None
    budget = max(budget, MIN_THINKING_BUDGET)
    if request.max_tokens is None:
        inference["maxTokens"] = budget + ANSWER_TOKENS
    elif budget >= request.max_tokens:
        budget = request.max_tokens - 1
        if budget < MIN_THINKING_BUDGET:
            raise bad_request(
                f"reasoning on Claude needs max_tokens above {MIN_THINKING_BUDGET}",
                param="max_tokens",
            )
    return {"type": "enabled", "budget_tokens": budget}


def _tool_config(request: ChatRequest, turns: list[JSON]) -> JSON | None:
    """`none` has no Converse value: tools are left out, except that a history holding tool
    blocks must still come with a toolConfig (else ValidationException)."""
    history = _history_tool_names(turns)
    choice = request.tool_choice
    tools = [tool_spec(t) for t in request.tools]
    if not tools or (choice is not None and choice.mode == "none"):
        if history is None:
            return None
        tools = tools or [tool_spec(Tool(name)) for name in history]
        return {"tools": tools} if tools else None
    config: JSON = {"tools": tools}
    if choice is not None and choice.mode == "required":
        config["toolChoice"] = {"any": {}}
    elif choice is not None and choice.mode == "function":
        config["toolChoice"] = {"tool": {"name": choice.name or ""}}
    elif choice is not None:
        config["toolChoice"] = {"auto": {}}
    return config


def _history_tool_names(turns: list[JSON]) -> list[str] | None:
    """Names of tools used in the history, or None when it holds no tool blocks at all."""
    names: list[str] = []
    found = False
    for turn in turns:
        for block in turn["content"]:
            if "toolUse" in block:
                found = True
                if block["toolUse"]["name"] not in names:
                    names.append(block["toolUse"]["name"])
            found = found or "toolResult" in block
    return names if found else None


def tool_spec(tool: Tool) -> JSON:
    spec: JSON = {"name": tool.name}
    if tool.description:
        spec["description"] = tool.description
    spec["inputSchema"] = {"json": tool.parameters or {"type": "object", "properties": {}}}
    if tool.strict is not None:
        spec["strict"] = tool.strict
    return {"toolSpec": spec}


def response_from_core(response: ChatResponse) -> bytes:
    """A Converse response for a Converse-speaking client."""
    content: list[JSON] = []
    for part in response.message.content:
        if isinstance(part, TextPart) and part.text:
            content.append({"text": part.text})
        elif isinstance(part, ReasoningPart):
            text: JSON = {"text": part.text}
            if part.signature is not None:
                text["signature"] = part.signature
            key, value = (
                ("redactedContent", part.data or "") if part.redacted else ("reasoningText", text)
            )
            content.append({"reasoningContent": {key: value}})
    content.extend(_tool_use(call) for call in response.message.tool_calls)
    body = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason(response.finish_reason, response.raw_finish_reason),
        "usage": usage_dict(response.usage),
        "metrics": {"latencyMs": 0},
    }
    return orjson.dumps(body)


def stop_reason(reason: FinishReason, raw: str | None) -> str:
    """The native value when it is one of Bedrock's, else the reverse of mapping.md §5."""
    return raw if raw in STOP_REASONS else _FINISH_TO_STOP[reason]


def usage_dict(usage: Usage) -> JSON:
    """`inputTokens` excludes cache reads and writes, as Bedrock counts them (mapping.md §6)."""
    prompt = usage.prompt_tokens
    return {
        "inputTokens": usage.uncached_prompt_tokens,
        "outputTokens": usage.completion_tokens,
        "totalTokens": prompt + usage.completion_tokens,
        "cacheReadInputTokens": usage.cached_tokens,
        "cacheWriteInputTokens": usage.cache_write_tokens,
    }
