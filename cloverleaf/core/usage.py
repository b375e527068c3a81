"""Token usage as every layer sees it, whatever shape the provider reported it in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    @classmethod
    def from_openai(cls, raw: Any) -> Usage | None:
        """Read an OpenAI-shaped usage object; tolerate missing or null detail blocks."""
        if not isinstance(raw, dict):
            return None
        prompt = _int(raw.get("prompt_tokens"))
        completion = _int(raw.get("completion_tokens"))
        total = _int(raw.get("total_tokens")) or prompt + completion
        prompt_details = raw.get("prompt_tokens_details")
        completion_details = raw.get("completion_tokens_details")
        cached = (
            _int(prompt_details.get("cached_tokens")) if isinstance(prompt_details, dict) else 0
        )
        reasoning = (
            _int(completion_details.get("reasoning_tokens"))
            if isinstance(completion_details, dict)
            else 0
        )
        return cls(prompt, completion, total, cached, reasoning)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
