"""Anthropic's Messages API."""

from __future__ import annotations

from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.providers.chat_adapters import ChatAdapter
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


ADAPTER = ChatAdapter(AnthropicDialect(), _path)
