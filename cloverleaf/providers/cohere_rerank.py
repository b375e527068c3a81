"""Cohere's `POST /v2/rerank`: documents as strings, results by index (v2 returns no text)."""

from __future__ import annotations

from typing import Any

from cloverleaf.providers.jina_rerank import decode_results
from cloverleaf.providers.spec_rerank import RerankAdapter, RerankRequest, RerankResponse


def _encode(request: RerankRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "query": request.query, "documents": request.documents}
    if request.top_n is not None:
        body["top_n"] = request.top_n
    return body


def _decode(body: bytes) -> RerankResponse:
    """Cohere bills search units, not tokens: usage is left to the gateway's estimate."""
    results, parsed = decode_results(body)
    return RerankResponse(results, None, str(parsed.get("id") or ""))


COHERE = RerankAdapter("/rerank", _encode, _decode)
