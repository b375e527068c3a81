"""Responses requests: peeked for byte forwarding, decoded to a core chat otherwise.

A provider without a Responses endpoint is served by translation through the chat pipeline.
What a chat cannot reproduce (server-side state such as `previous_response_id` or
`conversation`, built-in tools, background runs, stored prompts) is refused with a 400 naming
the field, never silently dropped. Fields that only concern storage or caching (`store`,
`metadata`, `prompt_cache_key`, ...) change nothing in the answer and are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloverleaf.core.chat import ChatRequest, Message, Reasoning, ResponseFormat, TextPart
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of
from cloverleaf.formats.openai_responses.items import input_messages
from cloverleaf.formats.openai_responses.tools import tool_choice, tools

DIALECT = "openai_responses"

#: field → the value that asks for nothing (absent counts as that too): anything else needs
#: state or machinery only OpenAI's own Responses endpoint has
_UNTRANSLATABLE: dict[str, Any] = {
    "previous_response_id": None,
    "conversation": None,
    "background": False,
    "prompt": None,
    "max_tool_calls": None,
    "top_logprobs": 0,
    "context_management": None,
}
#: accepted and without effect on a translated answer (storage, caching, routing hints)
_IGNORED = frozenset(
    {
        "store",
        "metadata",
        "user",
        "safety_identifier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "service_tier",
        "stream_options",
        "truncation",
        "fallbacks",
    }
)
_DECODED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "stream",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_output_tokens",
        "temperature",
        "top_p",
        "text",
        "reasoning",
        "include",
    }
)
#: `include` values a translated answer can honour (reasoning is always given back)
_INCLUDABLE = frozenset({"reasoning.encrypted_content"})


@dataclass(frozen=True, slots=True)
class PeekedResponses:
    """What routing needs; an OpenAI upstream validates the rest itself."""

    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    fallbacks: tuple[str, ...]


def parse_responses_request(raw: bytes) -> PeekedResponses:
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    if body.get("input") is None:
        raise bad_request("input is required", param="input")
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("stream must be a boolean", param="stream")
    return PeekedResponses(raw, body, model, stream, fallbacks_of(body.get("fallbacks")))


def responses_to_core(body: dict[str, Any]) -> ChatRequest:
    """The request as a chat, for providers without a Responses endpoint."""
    _refuse_untranslatable(body)
    messages = input_messages(body.get("input"))
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise bad_request("instructions must be a string", param="instructions")
        messages = (Message("system", (TextPart(instructions),)), *messages)
    if not messages:
        raise bad_request("input must not be empty", param="input")
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise bad_request("parallel_tool_calls must be a boolean", param="parallel_tool_calls")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise bad_request("user must be a string", param="user")
    return ChatRequest(
        model=str(body.get("model") or ""),
        messages=messages,
        stream=body.get("stream") is True,
        max_tokens=_int(body, "max_output_tokens", minimum=1),
        temperature=_number(body, "temperature"),
        top_p=_number(body, "top_p"),
        tools=tools(body.get("tools")),
        tool_choice=tool_choice(body.get("tool_choice")),
        parallel_tool_calls=parallel,
        response_format=_text_format(body.get("text")),
        reasoning=_reasoning(body.get("reasoning")),
        user=user,
        source=DIALECT,
    )


def _refuse_untranslatable(body: dict[str, Any]) -> None:
    for name, neutral in _UNTRANSLATABLE.items():
        value = body.get(name)
        if value is not None and value != neutral:
            raise bad_request(
                f"{name} is only supported by OpenAI's own Responses endpoint; "
                "this model is served by translation",
                param=name,
                code="unsupported_parameter",
            )
    for name in body:
        if name not in _DECODED and name not in _IGNORED and name not in _UNTRANSLATABLE:
            raise bad_request(
                f"{name} is not supported when the Responses API is translated",
                param=name,
                code="unsupported_parameter",
            )
    include = body.get("include")
    if include is not None:
        if not isinstance(include, list):
            raise bad_request("include must be an array of strings", param="include")
        for i, value in enumerate(include):
            if value not in _INCLUDABLE:
                raise bad_request(
                    f"include value {value!r} is only supported by OpenAI's own Responses endpoint",
                    param=f"include[{i}]",
                    code="unsupported_parameter",
                )


def _text_format(raw: Any) -> ResponseFormat | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("text must be an object", param="text")
    verbosity = raw.get("verbosity")
    if verbosity not in (None, "medium"):
        raise bad_request(
            "text.verbosity is only supported by OpenAI's own Responses endpoint",
            param="text.verbosity",
            code="unsupported_parameter",
        )
    spec = raw.get("format")
    if spec is None:
        return None
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind == "json_schema" and isinstance(spec, dict):
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            raise bad_request("text.format.schema must be an object", param="text.format.schema")
        name = spec.get("name")
        strict = spec.get("strict")
        return ResponseFormat(
            "json_schema",
            schema,
            name if isinstance(name, str) else None,
            strict if isinstance(strict, bool) else None,
        )
    raise bad_request(f"text.format type {kind!r} is not supported", param="text.format.type")


def _reasoning(raw: Any) -> Reasoning | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("reasoning must be an object", param="reasoning")
    effort = raw.get("effort")
    if effort is None:
        return None
    if not isinstance(effort, str):
        raise bad_request("reasoning.effort must be a string", param="reasoning.effort")
    return Reasoning(effort=effort)


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name} must be a number", param=name)
    return float(value)


def _int(body: dict[str, Any], name: str, minimum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer", param=name)
    if value < minimum:
        raise bad_request(f"{name} must be at least {minimum}", param=name)
    return value
