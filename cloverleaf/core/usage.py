"""Token usage as every layer sees it, whatever shape the provider reported it in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    """`prompt_tokens` is every input token, cached or not (mapping.md §6): `cached_tokens`
    (cache reads) and `cache_write_tokens` (cache creation) are parts of it, never added to it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    #: units billed by something other than tokens (0 where the operation has none): images
    #: generated, seconds of audio transcribed, characters of text spoken
    images: int = 0
    audio_seconds: Decimal = Decimal(0)
    characters: int = 0

    @property
    def uncached_prompt_tokens(self) -> int:
        """Input neither read from nor written to a cache (Anthropic's `input_tokens`)."""
        return max(0, self.prompt_tokens - self.cached_tokens - self.cache_write_tokens)

    @classmethod
    def from_openai(cls, raw: Any) -> Usage | None:
        """Read an OpenAI-shaped usage object; tolerate missing or null detail blocks.

        OpenAI has no cache-write counter: the gateway writes `prompt_tokens_details.
        cache_write_tokens` (OpenRouter's name) and also reads LiteLLM's top-level
        `cache_creation_input_tokens`. Both are already inside `prompt_tokens`."""
        if not isinstance(raw, dict):
            return None
        prompt = _int(raw.get("prompt_tokens"))
        completion = _int(raw.get("completion_tokens"))
        total = _int(raw.get("total_tokens")) or prompt + completion
        prompt_details = raw.get("prompt_tokens_details")
        completion_details = raw.get("completion_tokens_details")
        details = prompt_details if isinstance(prompt_details, dict) else {}
        cached = _int(details.get("cached_tokens"))
        written = _int(details.get("cache_write_tokens")) or _int(
            raw.get("cache_creation_input_tokens")
        )
        reasoning = (
            _int(completion_details.get("reasoning_tokens"))
            if isinstance(completion_details, dict)
            else 0
        )
        return cls(prompt, completion, total, cached, reasoning, written)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
