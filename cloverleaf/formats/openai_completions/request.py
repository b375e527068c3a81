"""Legacy completion requests: peeked for byte forwarding, decoded to a one-turn chat otherwise.

A completion is served on a chat-only provider as one user turn holding the prompt. What a chat
cannot reproduce (echoing the prompt, a suffix, token log-probabilities, server-side best-of,
several prompts or choices) is refused with a 400 naming the field, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, Message, TextPart
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import PeekedChat
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of

#: field → the value that asks for nothing (absent counts as that too)
_UNTRANSLATABLE: dict[str, Any] = {
    "echo": False,
    "suffix": None,
    "logprobs": None,
    "best_of": 1,
    "logit_bias": None,
}


def parse_completion_request(raw: bytes) -> PeekedChat:
    """Only what routing needs; an OpenAI-family upstream validates the rest itself."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    if "prompt" not in body:
        raise bad_request("prompt is required", param="prompt")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("stream must be a boolean", param="stream")
    options = body.get("stream_options")
    wants_usage = isinstance(options, dict) and options.get("include_usage") is True
    return PeekedChat(raw, body, model, stream, wants_usage, fallbacks_of(body.get("fallbacks")))


def completion_to_core(body: dict[str, Any]) -> ChatRequest:
    """The request as a one-turn chat, for providers without a completions endpoint."""
    for name, neutral in _UNTRANSLATABLE.items():
        value = body.get(name)
        if value is not None and value != neutral and not (name == "logit_bias" and not value):
            raise bad_request(
                f"{name} is only supported by OpenAI-compatible providers' completions endpoint",
                param=name,
                code="unsupported_parameter",
            )
    n = body.get("n")
    if n is not None and n != 1:
        raise bad_request(
            "n > 1 is only supported by OpenAI-compatible providers' completions endpoint",
            param="n",
            code="unsupported_parameter",
        )
    options = body.get("stream_options")
    extra = {"stream_options": options} if isinstance(options, dict) else {}
    return ChatRequest(
        model=str(body.get("model") or ""),
        messages=(Message("user", (TextPart(_prompt(body.get("prompt"))),)),),
        stream=body.get("stream") is True,
        max_tokens=_int(body, "max_tokens", minimum=1),
        temperature=_number(body, "temperature"),
        top_p=_number(body, "top_p"),
        stop=_stop(body.get("stop")),
        seed=_int(body, "seed"),
        presence_penalty=_number(body, "presence_penalty"),
        frequency_penalty=_number(body, "frequency_penalty"),
        user=_string(body, "user"),
        extra=extra,
        source="openai_completions",
    )


def _prompt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if len(value) == 1:
            return str(value[0])
        raise bad_request(
            "several prompts in one request are only supported by OpenAI-compatible providers",
            param="prompt",
            code="unsupported_parameter",
        )
    if isinstance(value, list):
        raise bad_request(
            "token-id prompts are only supported by OpenAI-compatible providers; send text",
            param="prompt",
            code="tokens_not_supported",
        )
    raise bad_request("prompt must be a string or an array of strings", param="prompt")


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise bad_request("stop must be a string or an array of strings", param="stop")


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name} must be a number", param=name)
    return float(value)


def _int(body: dict[str, Any], name: str, minimum: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer", param=name)
    if minimum is not None and value < minimum:
        raise bad_request(f"{name} must be at least {minimum}", param=name)
    return value


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string", param=name)
    return value
