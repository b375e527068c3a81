"""Cohere's v2 chat API."""

from __future__ import annotations

from cloverleaf.formats.cohere.dialect import CohereDialect
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.spec import ProviderSpec

SPEC = ProviderSpec("cohere", "https://api.cohere.com", api_prefix="/v2", dialect="cohere")


def _path(model: str, stream: bool) -> str:
    return "/chat"


#: the model list lives under /v1, not under this API prefix: not read for now
ADAPTER = ChatAdapter(CohereDialect(), _path, models_path=None)
