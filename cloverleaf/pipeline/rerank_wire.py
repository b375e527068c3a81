"""The gateway's rerank face: `{model, query, documents, top_n, return_documents}` in, Cohere's
and Jina's common shape out: `{id, model, results:[{index, relevance_score, document?}], usage}`."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of
from cloverleaf.providers.spec_rerank import RerankRequest, RerankResponse


def parse_rerank_request(raw: bytes) -> tuple[RerankRequest, tuple[str, ...]]:
    """The request and its fallbacks; documents may be strings or `{"text": ...}` objects."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    query = body.get("query")
    if not isinstance(query, str) or not query:
        raise bad_request("query is required and must be a non-empty string", param="query")
    documents = body.get("documents")
    if not isinstance(documents, list) or not documents:
        raise bad_request("documents must be a non-empty array", param="documents")
    texts = tuple(_text(document, i) for i, document in enumerate(documents))
    top_n = body.get("top_n")
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise bad_request("top_n must be a positive integer", param="top_n")
    return_documents = body.get("return_documents", False)
    if not isinstance(return_documents, bool):
        raise bad_request("return_documents must be a boolean", param="return_documents")
    request = RerankRequest(model, query, texts, top_n, return_documents)
    return request, fallbacks_of(body.get("fallbacks"))


def _text(document: Any, index: int) -> str:
    if isinstance(document, str):
        return document
    if isinstance(document, dict) and isinstance(document.get("text"), str):
        return str(document["text"])
    raise bad_request(
        'each document must be a string or {"text": string}', param=f"documents[{index}]"
    )


def encode_rerank_response(
    request: RerankRequest, response: RerankResponse, model: str, request_id: str
) -> bytes:
    """Documents come from the request (Cohere v2 returns none), by each result's index."""
    results: list[dict[str, Any]] = []
    for result in response.results:
        item: dict[str, Any] = {"index": result.index, "relevance_score": result.relevance_score}
        if request.return_documents:
            item["document"] = {"text": request.documents[result.index]}
        results.append(item)
    usage = response.usage
    tokens = usage.prompt_tokens if usage is not None else 0
    return orjson.dumps(
        {
            "id": response.id or f"rerank-{request_id}",
            "model": model,
            "results": results,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
