"""Static wire bytes shared by the mock upstream and the load generator.

Sizes are pinned (645-byte completion, 314-byte request, 21 SSE chunk events + ``[DONE]``) so
our figures stay comparable with ``/work/shared/bench/RESULTS.md``; the asserts at the bottom
fail loudly if an edit changes them.
"""

from __future__ import annotations

import json
from typing import Any

COMPLETION_SIZE = 645
REQUEST_SIZE = 314
STREAM_EVENTS = 21  # chunk events before ``data: [DONE]``, the usage-only chunk included

MODEL = "openai/gpt-4o-mini"
_UPSTREAM_MODEL = "gpt-4o-mini-2024-07-18"
_ID = "chatcmpl-bench00000000000000000000000000"
_CREATED = 1763769600
_FINGERPRINT = "fp_bench00000"
_FILLER = "The quick brown fox jumps over the lazy dog while the benchmark keeps counting. "
_USAGE: dict[str, Any] = {
    "prompt_tokens": 28,
    "completion_tokens": 19,
    "total_tokens": 47,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _text(length: int) -> str:
    """Filler prose of exactly ``length`` characters (ASCII, so also bytes)."""
    return (_FILLER * (length // len(_FILLER) + 1))[:length].rstrip().ljust(length, ".")


def _completion(content: str) -> bytes:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": content,
        "refusal": None,
        "annotations": [],
    }
    return _dumps(
        {
            "id": _ID,
            "object": "chat.completion",
            "created": _CREATED,
            "model": _UPSTREAM_MODEL,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": _USAGE,
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
        }
    )


def _chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
    event: dict[str, Any] = {
        "id": _ID,
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": _UPSTREAM_MODEL,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
        "choices": choices,
    }
    if usage is not None:
        event["usage"] = usage
    return b"data: " + _dumps(event) + b"\n\n"


def _sse(content: str) -> bytes:
    """Role chunk, content chunks, finish chunk, usage-only chunk, then ``[DONE]``."""
    n = STREAM_EVENTS - 3  # content chunks: token-sized slices that concatenate to the reply
    pieces = [content[i * len(content) // n : (i + 1) * len(content) // n] for i in range(n)]

    def delta(d: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": d, "logprobs": None, "finish_reason": finish}]

    events = [_chunk(delta({"role": "assistant", "content": "", "refusal": None}))]
    events += [_chunk(delta({"content": p})) for p in pieces]
    events += [_chunk(delta({}, "stop")), _chunk([], _USAGE)]
    return b"".join(events) + b"data: [DONE]\n\n"


def _request(stream: bool, content_length: int) -> bytes:
    body: dict[str, Any] = {"model": MODEL}
    if stream:
        body["stream"] = True
    body["messages"] = [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": _text(content_length)},
    ]
    body.update(max_tokens=64, temperature=0)
    return _dumps(body)


def _fit_request(stream: bool) -> bytes:
    """The chat request padded to exactly ``REQUEST_SIZE`` bytes."""
    overhead = len(_request(stream, 0))
    return _request(stream, REQUEST_SIZE - overhead)


def _anthropic_stream_request() -> bytes:
    """The same conversation as an Anthropic Messages client sends it (cross-dialect case)."""
    return _dumps(
        {
            "model": MODEL,
            "max_tokens": 64,
            "stream": True,
            "system": "You are a concise assistant.",
            "messages": [{"role": "user", "content": _text(REQUEST_SIZE - 200)}],
            "temperature": 0,
        }
    )


REPLY = _text(COMPLETION_SIZE - len(_completion("")))
ANTHROPIC_STREAM_REQUEST = _anthropic_stream_request()

CHAT_COMPLETION = _completion(REPLY)
CHAT_STREAM = _sse(REPLY)
CHAT_REQUEST = _fit_request(stream=False)
CHAT_STREAM_REQUEST = _fit_request(stream=True)

assert len(CHAT_COMPLETION) == COMPLETION_SIZE, len(CHAT_COMPLETION)
assert len(CHAT_REQUEST) == REQUEST_SIZE, len(CHAT_REQUEST)
assert len(CHAT_STREAM_REQUEST) == REQUEST_SIZE, len(CHAT_STREAM_REQUEST)
assert CHAT_STREAM.count(b"data: ") == STREAM_EVENTS + 1
assert b'"stream":true' in CHAT_STREAM_REQUEST and b'"stream"' not in CHAT_REQUEST
