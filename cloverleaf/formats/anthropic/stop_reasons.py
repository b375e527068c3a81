"""Anthropic `stop_reason` ⇄ core finish reasons (mapping.md §5)."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import FinishReason

_TO_CORE = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    # "resend to continue": the gateway does not auto-continue, so the turn ends here
    "pause_turn": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.CONTENT_FILTER,
}
_FROM_CORE = {
    FinishReason.STOP: "end_turn",
    FinishReason.LENGTH: "max_tokens",
    FinishReason.TOOL_CALLS: "tool_use",
    FinishReason.CONTENT_FILTER: "refusal",
    FinishReason.ERROR: "end_turn",
}


def finish_to_core(raw: Any) -> FinishReason:
    """Unknown or missing values count as `stop`: new reasons are added over time."""
    return _TO_CORE.get(raw, FinishReason.STOP) if isinstance(raw, str) else FinishReason.STOP


def stop_reason(reason: FinishReason, raw: str | None) -> str:
    """Anthropic's own value when the upstream was Anthropic (`stop_sequence`, `pause_turn`
    survive); otherwise the nearest one for the core reason."""
    if raw is not None and _TO_CORE.get(raw) is reason:
        return raw
    return _FROM_CORE[reason]
