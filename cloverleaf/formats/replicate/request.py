"""Core requests ⇄ prediction create bodies (`{"input": {...}, "stream"?, "version"?}`)."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, Message, Reasoning, TextPart
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.replicate.model_ref import parse_model
from cloverleaf.formats.replicate.prompt import render

#: inputs with the same name and meaning on Replicate's LLMs as in the core model
_SAME_NAME = ("temperature", "top_p", "top_k", "seed", "presence_penalty", "frequency_penalty")
#: inputs the core model carries; any other input rides in `extra`
_CORE_INPUTS = frozenset(
    {"prompt", "system_prompt", "max_tokens", "max_new_tokens", "stop_sequences", *_SAME_NAME}
)


def request_from_core(request: ChatRequest, model: str, *, own_extra: bool) -> dict[str, Any]:
    """`max_tokens` goes out under both of its names: the meta-llama-3 models read
    `max_tokens`, older LLMs `max_new_tokens`, and a model ignores the input it does not have.
    Stop sequences travel as one comma-separated string, as the meta models take them."""
    _refuse_unsupported(request)
    ref = parse_model(model)
    rendered = render(request.messages)
    inputs: dict[str, Any] = dict(request.extra) if own_extra else {}
    inputs["prompt"] = rendered.prompt
    if rendered.system_prompt is not None:
        inputs["system_prompt"] = rendered.system_prompt
    if request.max_tokens is not None:
        inputs["max_tokens"] = inputs["max_new_tokens"] = request.max_tokens
    for name in _SAME_NAME:
        value = getattr(request, name)
        if value is not None:
            inputs[name] = value
    if request.stop:
        inputs["stop_sequences"] = ",".join(request.stop)
    body: dict[str, Any] = {"input": inputs}
    if ref.kind == "version":
        body["version"] = ref.version
    if request.stream:
        body["stream"] = True
    return body


def _refuse_unsupported(request: ChatRequest) -> None:
    """A prompt-in, text-out model has no tools, no structured output and no reasoning
    setting: dropping any would hand the client an answer it did not ask for, so the router
    gets a 400 it can fall back on. Tools with `tool_choice: none` are dropped, since they
    could not be called, and so is a request for no reasoning (effort "none", budget 0)."""
    reasoning = request.reasoning
    if reasoning is not None and not _reasoning_off(reasoning):
        raise bad_request(
            "replicate cannot set reasoning_effort (or a thinking budget)",
            param="reasoning_effort",
        )
    mode = request.tool_choice.mode if request.tool_choice else "auto"
    if mode in ("required", "function"):
        raise bad_request(f"replicate cannot force tool_choice {mode!r}", param="tool_choice")
    if request.tools and mode != "none":
        raise bad_request("replicate models cannot call tools", param="tools")
    fmt = request.response_format
    if fmt is not None and fmt.kind != "text":
        raise bad_request(
            f"replicate cannot guarantee response_format {fmt.kind!r}", param="response_format"
        )
    for stop in request.stop:
        if "," in stop:
            raise bad_request(
                f"replicate takes stop sequences as one comma-separated string: {stop!r} "
                "contains a comma",
                param="stop",
            )


def _reasoning_off(reasoning: Reasoning) -> bool:
    if reasoning.budget_tokens:
        return False
    return reasoning.effort == "none" or (reasoning.effort is None and reasoning.budget_tokens == 0)


# -- client side -------------------------------------------------------------------------------


def request_to_core(body: dict[str, Any]) -> ChatRequest:
    """A create body as a Replicate client sends it. The prompt is one user message: a
    transcript inside it stays text, since its turns cannot be told apart reliably."""
    inputs = body.get("input")
    if not isinstance(inputs, dict):
        raise bad_request("input must be an object", param="input")
    prompt = inputs.get("prompt")
    if not isinstance(prompt, str):
        raise bad_request("input.prompt must be a string", param="input.prompt")
    system = inputs.get("system_prompt")
    messages = (Message("system", (TextPart(system),)),) if isinstance(system, str) else ()
    stops = inputs.get("stop_sequences")
    version = body.get("version")
    return ChatRequest(
        model=version if isinstance(version, str) else "",
        messages=(*messages, Message("user", (TextPart(prompt),))),
        stream=body.get("stream") is True,
        max_tokens=_int(inputs.get("max_tokens")) or _int(inputs.get("max_new_tokens")),
        temperature=_float(inputs.get("temperature")),
        top_p=_float(inputs.get("top_p")),
        top_k=_int(inputs.get("top_k")),
        stop=tuple(s for s in stops.split(",") if s) if isinstance(stops, str) else (),
        seed=_int(inputs.get("seed")),
        frequency_penalty=_float(inputs.get("frequency_penalty")),
        presence_penalty=_float(inputs.get("presence_penalty")),
        extra={k: v for k, v in inputs.items() if k not in _CORE_INPUTS},
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
