"""Anthropic's Messages API."""

from __future__ import annotations

from typing import Any

from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.providers.chat_adapters import ChatAdapter, TokenCounting
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

SPEC = ProviderSpec(
    "anthropic",
    "https://api.anthropic.com",
    api_prefix="/v1",
    dialect="anthropic",
    auth=AuthStyle.X_API_KEY,
    default_headers=(("anthropic-version", "2023-06-01"),),
)


def _path(model: str, stream: bool) -> str:
    return "/messages"


_COUNTED_FIELDS = ("messages", "system", "tools", "tool_choice", "thinking")


def _count_body(body: dict[str, Any], model: str) -> dict[str, Any]:
    return {"model": model, **{k: body[k] for k in _COUNTED_FIELDS if k in body}}


def _read_count(answer: Any) -> int | None:
    count = answer.get("input_tokens") if isinstance(answer, dict) else None
    return count if isinstance(count, int) else None


COUNTING = TokenCounting(lambda model: "/messages/count_tokens", _count_body, _read_count)
ADAPTER = ChatAdapter(AnthropicDialect(), _path, counting=COUNTING)
