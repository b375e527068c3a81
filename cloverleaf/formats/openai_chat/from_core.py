"""Core → OpenAI chat wire: bodies for OpenAI-compatible upstreams, answers for OpenAI clients."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    ChatRequest,
    ChatResponse,
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolChoice,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.extensions import tool_call_wire

#: parts that need the array form of `content`
_MEDIA = (ImagePart, DocumentPart)


def request_from_core(request: ChatRequest, model: str) -> dict[str, Any]:
    own = request.extra if request.source == "openai_chat" else {}
    body: dict[str, Any] = {k: v for k, v in own.items() if k != "stream_options"}
    body["model"] = model
    body["messages"] = [_message(m, i) for i, m in enumerate(request.messages)]
    optional: dict[str, Any] = {
        "max_completion_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "seed": request.seed,
        "frequency_penalty": request.frequency_penalty,
        "presence_penalty": request.presence_penalty,
        "parallel_tool_calls": request.parallel_tool_calls,
        "user": request.user,
        "reasoning_effort": request.reasoning.effort if request.reasoning else None,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if request.stop:
        body["stop"] = list(request.stop)
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "parameters": t.parameters,
                    **({"strict": t.strict} if t.strict is not None else {}),
                },
            }
            for t in request.tools
        ]
    if request.tool_choice is not None:
        body["tool_choice"] = tool_choice(request.tool_choice)
    if request.response_format is not None:
        fmt = request.response_format
        if fmt.kind == "json_schema":
            schema: dict[str, Any] = {"name": fmt.name or "response", "schema": fmt.schema or {}}
            if fmt.strict is not None:
                schema["strict"] = fmt.strict
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        else:
            body["response_format"] = {"type": fmt.kind}
    if request.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def tool_choice(choice: ToolChoice) -> Any:
    if choice.mode == "function":
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


def _message(message: Message, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    texts = [p for p in message.content if isinstance(p, TextPart)]
    if any(isinstance(p, _MEDIA) for p in message.content):
        out["content"] = [
            _part(p, f"messages[{index}].content[{j}]")
            for j, p in enumerate(message.content)
            if not isinstance(p, ReasoningPart)
        ]
    elif message.role == "assistant" and not texts:
        out["content"] = None
    else:
        out["content"] = "".join(p.text for p in texts)
    if message.tool_calls:
        out["tool_calls"] = [tool_call_wire(c) for c in message.tool_calls]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    return out


def _part(part: TextPart | ImagePart | DocumentPart, where: str) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, DocumentPart):
        return _file(part, where)
    image: dict[str, Any] = {"url": part.as_url()}
    if part.detail:
        image["detail"] = part.detail
    return {"type": "image_url", "image_url": image}


def _file(part: DocumentPart, where: str) -> dict[str, Any]:
    """Chat Completions takes files inline only (`file_data`); a URL would need downloading."""
    if part.data is None:
        raise bad_request(
            f"{where}: OpenAI chat takes files only inline; send the document as base64 data",
            param=where,
            code="document_url_not_supported",
        )
    file: dict[str, Any] = {"file_data": part.as_data_url()}
    if part.filename:
        file["filename"] = part.filename
    return {"type": "file", "file": file}


def usage_dict(usage: Usage) -> dict[str, Any]:
    """`prompt_tokens` already counts cache writes; OpenAI has no field naming them, so they
    appear as `prompt_tokens_details.cache_write_tokens` (OpenRouter's extension) when any."""
    prompt_details: dict[str, Any] = {"cached_tokens": usage.cached_tokens}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def response_from_core(response: ChatResponse) -> bytes:
    message = response.message
    reasoning = "".join(
        p.text for p in message.content if isinstance(p, ReasoningPart) and not p.redacted
    )
    wire: dict[str, Any] = {"role": "assistant", "content": message.text() or None}
    if message.tool_calls:
        wire["tool_calls"] = [tool_call_wire(c) for c in message.tool_calls]
    if reasoning:
        wire["reasoning_content"] = reasoning
    return orjson.dumps(
        {
            "id": response.id,
            "object": "chat.completion",
            "created": response.created,
            "model": response.model,
            "choices": [
                {
                    "index": 0,
                    "message": wire,
                    "logprobs": None,
                    "finish_reason": response.finish_reason.value,
                }
            ],
            "usage": usage_dict(response.usage),
        }
    )
