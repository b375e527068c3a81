"""Finish reasons and usage both ways; shared by whole responses and streams (mapping.md §5, §6).

Usage reads `usage.tokens` (what the model really processed, prompt template included) and
falls back to `usage.billed_units` only when `tokens` is absent, so counts stay comparable with
providers that report raw tokens.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import FinishReason
from cloverleaf.core.usage import Usage

_FINISH = {
    "COMPLETE": FinishReason.STOP,
    "STOP_SEQUENCE": FinishReason.STOP,
    "MAX_TOKENS": FinishReason.LENGTH,
    "TOOL_CALL": FinishReason.TOOL_CALLS,
    "ERROR": FinishReason.ERROR,
    "TIMEOUT": FinishReason.ERROR,
}
#: Cohere has no content-filter reason: a filtered answer is not a whole one, so ERROR
_RAW = {
    FinishReason.STOP: "COMPLETE",
    FinishReason.LENGTH: "MAX_TOKENS",
    FinishReason.TOOL_CALLS: "TOOL_CALL",
    FinishReason.CONTENT_FILTER: "ERROR",
    FinishReason.ERROR: "ERROR",
}


def finish_to_core(raw: Any) -> FinishReason:
    """Unknown values count as `stop`: the text that arrived is still the answer."""
    return _FINISH.get(raw, FinishReason.STOP) if isinstance(raw, str) else FinishReason.STOP


def finish_from_core(reason: FinishReason, raw: str | None) -> str:
    """Keep the upstream's own value when it is a Cohere one that means the same thing."""
    if raw is not None and _FINISH.get(raw) is reason:
        return raw
    return _RAW[reason]


def usage_to_core(raw: Any) -> Usage:
    usage = raw if isinstance(raw, dict) else {}
    tokens = usage.get("tokens")
    counts = tokens if isinstance(tokens, dict) else usage.get("billed_units")
    counts = counts if isinstance(counts, dict) else {}
    prompt, completion = _int(counts.get("input_tokens")), _int(counts.get("output_tokens"))
    cached = _int(usage.get("cached_tokens"))
    return Usage(prompt, completion, prompt + completion, cached)


def usage_from_core(usage: Usage) -> dict[str, Any]:
    """The gateway knows only raw counts, so billed units repeat them."""
    counts = {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens}
    return {"billed_units": counts, "tokens": dict(counts), "cached_tokens": usage.cached_tokens}


def _int(value: Any) -> int:
    """Cohere sends counts as floats in some API versions (`"input_tokens": 5.0`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)
