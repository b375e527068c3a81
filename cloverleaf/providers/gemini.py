"""Google's Gemini API (generateContent). `google` is the Inference Gateway's name for it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.providers.chat_adapters import ChatAdapter, TokenCounting, listed_names
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

SPEC = ProviderSpec(
    "gemini",
    "https://generativelanguage.googleapis.com",
    api_prefix="/v1beta",
    dialect="gemini",
    auth=AuthStyle.X_GOOG_API_KEY,
)
SPECS = (SPEC, replace(SPEC, name="google"))


def _path(model: str, stream: bool) -> str:
    if stream:
        return f"/models/{model}:streamGenerateContent?alt=sse"
    return f"/models/{model}:generateContent"


def _count_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    return {"contents": body.get("contents", [])}


def _read_count(answer: Any) -> int | None:
    count = answer.get("totalTokens") if isinstance(answer, dict) else None
    return count if isinstance(count, int) else None


COUNTING = TokenCounting(lambda model: f"/models/{model}:countTokens", _count_body, _read_count)
ADAPTER = ChatAdapter(
    GeminiDialect(),
    _path,
    parse_models=listed_names("models", "name", "models/"),
    counting=COUNTING,
)
