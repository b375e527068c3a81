"""Wire answers of the operations beside chat, shared by the mocks: OpenAI's legacy completions
and moderations, the Jina-style rerank of vLLM and Together, and Cohere's `/v2/rerank`.

Each function takes the parsed JSON body (None when it was not JSON) and returns the status and
the answer: a JSON object, or (completion streams) the whole SSE body as bytes. Answers are
deterministic: completions echo the prompt, moderation flags inputs containing "kill", rerank
scores a document by the share of the query's words it contains.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

JSON = dict[str, Any]
MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def _error(status: int, message: str, param: str | None = None) -> tuple[int, JSON]:
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return status, {"error": body}


def _words(text: str) -> list[str]:
    return text.lower().split()


def openai_completion(body: Any) -> tuple[int, JSON | bytes]:
    """`POST /v1/completions`: "echo: <prompt>", one choice per prompt, word counts as usage."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(400, "you must provide a model parameter", "model")
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        return _error(400, "prompt must be a string or an array of strings", "prompt")
    texts = [f"echo: {p}" for p in prompts]
    used = sum(max(1, len(_words(p))) for p in prompts)
    made = sum(len(_words(t)) for t in texts)
    usage = {"prompt_tokens": used, "completion_tokens": made, "total_tokens": used + made}
    envelope = {
        "id": f"cmpl-{uuid.uuid4().hex[:24]}",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": body["model"],
    }
    if body.get("stream") is not True:
        choices = [_choice(t, i, "stop") for i, t in enumerate(texts)]
        return 200, {**envelope, "choices": choices, "usage": usage}
    events = []
    for index, text in enumerate(texts):
        for piece in _pieces(text):
            events.append({**envelope, "choices": [_choice(piece, index, None)]})
        events.append({**envelope, "choices": [_choice("", index, "stop")]})
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        events.append({**envelope, "choices": [], "usage": usage})
    frames = [b"data: " + orjson.dumps(event) + b"\n\n" for event in events]
    return 200, b"".join(frames) + b"data: [DONE]\n\n"


def _choice(text: str, index: int, finish: str | None) -> JSON:
    return {"text": text, "index": index, "logprobs": None, "finish_reason": finish}


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def openai_moderation(body: Any) -> tuple[int, JSON]:
    """`POST /v1/moderations`: one result per input text."""
    if not isinstance(body, dict) or "input" not in body:
        return _error(400, "you must provide an input parameter", "input")
    given = body["input"]
    inputs = [given] if isinstance(given, str) else given
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        return _error(400, "input must be a string or an array of strings", "input")
    results = []
    for text in inputs:
        violent = "kill" in _words(text)
        categories = {c: violent and c == "violence" for c in MODERATION_CATEGORIES}
        scores = {c: (0.91 if categories[c] else 0.001) for c in MODERATION_CATEGORIES}
        applied = {c: ["text"] for c in MODERATION_CATEGORIES}
        results.append(
            {
                "flagged": violent,
                "categories": categories,
                "category_scores": scores,
                "category_applied_input_types": applied,
            }
        )
    model = body.get("model") or "omni-moderation-latest"
    return 200, {"id": f"modr-{uuid.uuid4().hex[:12]}", "model": model, "results": results}


class _Refused(Exception):
    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def _ranked(body: Any) -> tuple[list[tuple[int, float]], list[str]]:
    """(index, score) best first, cut to `top_n`; raises _Refused for a malformed request."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise _Refused("query is required", "query")
    documents = body.get("documents")
    if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
        raise _Refused("documents must be an array of strings", "documents")
    query = set(_words(body["query"]))
    scores = [
        (i, round(len(query & set(_words(d))) / max(1, len(query)), 4))
        for i, d in enumerate(documents)
    ]
    scores.sort(key=lambda item: (-item[1], item[0]))
    top_n = body.get("top_n")
    return (scores[:top_n] if isinstance(top_n, int) else scores), documents


def jina_rerank(body: Any) -> tuple[int, JSON]:
    """vLLM's and Together's `POST /v1/rerank`."""
    try:
        scores, documents = _ranked(body)
    except _Refused as refused:
        return _error(400, str(refused), refused.param)
    results = []
    for index, score in scores:
        item: JSON = {"index": index, "relevance_score": score}
        if body.get("return_documents") is not False:
            item["document"] = {"text": documents[index]}
        results.append(item)
    tokens = sum(len(_words(d)) for d in documents) + len(_words(body["query"]))
    return 200, {
        "id": f"rerank-{uuid.uuid4().hex[:12]}",
        "model": body.get("model"),
        "usage": {"total_tokens": tokens},
        "results": results,
    }


def cohere_rerank(body: Any) -> tuple[int, JSON]:
    """Cohere's `POST /v2/rerank` (results by index only; one search unit billed)."""
    try:
        scores, _ = _ranked(body)
    except _Refused as refused:
        return 400, {"message": str(refused)}
    return 200, {
        "id": str(uuid.uuid4()),
        "results": [{"index": i, "relevance_score": s} for i, s in scores],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
    }
