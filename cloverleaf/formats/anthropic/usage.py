"""Anthropic usage ⇄ core usage (mapping.md §6).

Anthropic's `input_tokens` excludes cache reads and cache writes, so the prompt total is rebuilt
from three counters; going back, both are taken out of `input_tokens` again.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.usage import Usage


def usage_to_core(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    read = _int(raw.get("cache_read_input_tokens"))
    written = _int(raw.get("cache_creation_input_tokens"))
    prompt = _int(raw.get("input_tokens")) + written + read
    completion = _int(raw.get("output_tokens"))
    details = raw.get("output_tokens_details")
    thinking = _int(details.get("thinking_tokens")) if isinstance(details, dict) else 0
    return Usage(prompt, completion, prompt + completion, read, thinking, written)


def merge_usage(start: dict[str, Any], delta: Any) -> dict[str, Any]:
    """`message_delta.usage` holds cumulative totals: present values replace, absent ones keep
    what `message_start` said."""
    if not isinstance(delta, dict):
        return start
    return {**start, **{k: v for k, v in delta.items() if v is not None}}


def usage_from_core(usage: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input_tokens": usage.uncached_prompt_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.completion_tokens,
    }
    if usage.reasoning_tokens:
        out["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
