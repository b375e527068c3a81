"""Gemini's `:embedContent` / `:batchEmbedContents` wire, both ways (gemini.md "Embeddings").

Task types map onto the core's Cohere-style tasks: RETRIEVAL_QUERY ↔ search_query,
RETRIEVAL_DOCUMENT ↔ search_document, CLASSIFICATION, CLUSTERING and SEMANTIC_SIMILARITY by
name. Gemini's other query-side tasks (QUESTION_ANSWERING, FACT_VERIFICATION,
CODE_RETRIEVAL_QUERY) have no counterpart elsewhere and are sent on as RETRIEVAL_QUERY.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingTask,
    unreadable_answer,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage

TO_GEMINI = {
    EmbeddingTask.SEARCH_QUERY: "RETRIEVAL_QUERY",
    EmbeddingTask.SEARCH_DOCUMENT: "RETRIEVAL_DOCUMENT",
    EmbeddingTask.CLASSIFICATION: "CLASSIFICATION",
    EmbeddingTask.CLUSTERING: "CLUSTERING",
    EmbeddingTask.SEMANTIC_SIMILARITY: "SEMANTIC_SIMILARITY",
}
_FROM_GEMINI = {name: task for task, name in TO_GEMINI.items()} | {
    "QUESTION_ANSWERING": EmbeddingTask.SEARCH_QUERY,
    "FACT_VERIFICATION": EmbeddingTask.SEARCH_QUERY,
    "CODE_RETRIEVAL_QUERY": EmbeddingTask.SEARCH_QUERY,
}
SINGLE, BATCH = "embedContent", "batchEmbedContents"


# -- client side ------------------------------------------------------------------------------


def decode_request(body: dict[str, Any], model: str, batch: bool) -> EmbeddingRequest:
    """One `EmbedContentRequest`, or `{"requests": [...]}` whose items share their options
    (the google-genai SDK sends every `embed_content` call this way)."""
    if not batch:
        items = [body]
    else:
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise bad_request("requests must be a non-empty array", param="requests")
        items = requests
    texts = tuple(_content_text(item, index) for index, item in enumerate(items))
    first = items[0]
    title = first.get("title")
    return EmbeddingRequest(
        model=model,
        texts=texts,
        dimensions=_dimensions(first.get("outputDimensionality")),
        task=_task(first.get("taskType")),
        title=title if isinstance(title, str) else None,
    )


def _content_text(item: Any, index: int) -> str:
    """A content's text parts, joined: Gemini embeds one content as one vector."""
    content = item.get("content") if isinstance(item, dict) else None
    parts = content.get("parts") if isinstance(content, dict) else None
    texts = [
        p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)
    ]
    if not texts:
        raise bad_request(
            f"request {index}: content.parts must hold at least one text part", param="content"
        )
    return "\n".join(texts)


def _dimensions(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request("outputDimensionality must be a positive integer")
    return value


def _task(value: Any) -> EmbeddingTask | None:
    if value in (None, "TASK_TYPE_UNSPECIFIED"):
        return None
    task = _FROM_GEMINI.get(value) if isinstance(value, str) else None
    if task is None:
        raise bad_request(f"unknown taskType {value!r}", param="taskType")
    return task


def encode_response(response: EmbeddingResponse, batch: bool) -> bytes:
    """`usageMetadata` is the gateway's addition (Gemini itself reports no embedding usage)."""
    tokens = response.usage.prompt_tokens if response.usage else 0
    usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
    if batch:
        embeddings = [{"values": list(v)} for v in response.vectors]
        return orjson.dumps({"embeddings": embeddings, "usageMetadata": usage})
    values = list(response.vectors[0]) if response.vectors else []
    return orjson.dumps({"embedding": {"values": values}, "usageMetadata": usage})


# -- upstream side ----------------------------------------------------------------------------


def encode_request(request: EmbeddingRequest, model: str) -> tuple[str, dict[str, Any]]:
    """(method, body): `embedContent` for one text, `batchEmbedContents` for several."""
    items = [_item(request, model, text) for text in request.texts]
    if len(items) == 1:
        return SINGLE, items[0]
    return BATCH, {"requests": items}


def _item(request: EmbeddingRequest, model: str, text: str) -> dict[str, Any]:
    item: dict[str, Any] = {"model": f"models/{model}", "content": {"parts": [{"text": text}]}}
    if request.task is not None:
        item["taskType"] = TO_GEMINI[request.task]
        if request.title and request.task is EmbeddingTask.SEARCH_DOCUMENT:
            item["title"] = request.title
    if request.dimensions is not None:
        item["outputDimensionality"] = request.dimensions
    return item


def decode_response(body: bytes) -> EmbeddingResponse:
    """Either answer shape; Gemini reports no usage, so `usage` is None (the caller estimates)."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable_answer("not JSON") from None
    if not isinstance(data, dict):
        raise unreadable_answer("not a JSON object")
    items = data.get("embeddings")
    if items is None and "embedding" in data:
        items = [data["embedding"]]
    if not isinstance(items, list):
        raise unreadable_answer("no embeddings")
    usage = data.get("usageMetadata")
    tokens = usage.get("promptTokenCount") if isinstance(usage, dict) else None
    return EmbeddingResponse(
        tuple(values_of(item) for item in items),
        Usage(tokens, 0, tokens) if isinstance(tokens, int) else None,
    )


def values_of(item: Any) -> tuple[float, ...]:
    values = item.get("values") if isinstance(item, dict) else None
    if not isinstance(values, list) or not all(isinstance(x, int | float) for x in values):
        raise unreadable_answer("an embedding without values")
    return tuple(float(x) for x in values)
