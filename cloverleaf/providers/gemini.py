"""Google's Gemini API (generateContent). `google` is the Inference Gateway's name for it."""

from __future__ import annotations

from dataclasses import replace

from cloverleaf.formats.gemini.dialect import GeminiDialect
from cloverleaf.providers.chat_adapters import ChatAdapter, listed_names
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


ADAPTER = ChatAdapter(
    GeminiDialect(), _path, parse_models=listed_names("models", "name", "models/")
)
