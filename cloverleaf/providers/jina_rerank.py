"""The Jina-style `POST /rerank` that vLLM and Together serve (`/v1/rerank`): the request as the
client sent it, results with `index` and `relevance_score`, usage as `total_tokens`."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.providers.spec_rerank import (
    RerankAdapter,
    RerankRequest,
    RerankResponse,
    RerankResult,
)


def _unreadable(detail: str) -> GatewayError:
    return GatewayError(502, f"unreadable rerank answer: {detail}", type="server_error")


def decode_results(body: bytes) -> tuple[tuple[RerankResult, ...], dict[str, Any]]:
    """`results[].index` and `results[].relevance_score`, which both wires share."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _unreadable("not JSON") from exc
    items = parsed.get("results") if isinstance(parsed, dict) else None
    if not isinstance(items, list):
        raise _unreadable("no results array")
    results = []
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        score = item.get("relevance_score") if isinstance(item, dict) else None
        if not isinstance(index, int) or not isinstance(score, int | float):
            raise _unreadable("a result without index or relevance_score")
        results.append(RerankResult(index, float(score)))
    return tuple(results), parsed


def _encode(request: RerankRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "query": request.query, "documents": request.documents}
    if request.top_n is not None:
        body["top_n"] = request.top_n
    return body


def _decode(body: bytes) -> RerankResponse:
    results, parsed = decode_results(body)
    usage = parsed.get("usage")
    tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
    counted = (
        Usage(prompt_tokens=tokens, total_tokens=tokens)
        if isinstance(tokens, int) and tokens > 0
        else None
    )
    return RerankResponse(results, counted, str(parsed.get("id") or ""))


JINA = RerankAdapter("/rerank", _encode, _decode)
