"""The OpenAI SDK as every case's client: one call, whole or streamed, read into one shape.

The client dialect stays fixed on purpose (tests/e2e/dialects covers the others), so an answer
that differs between adapters can only come from the upstream side of the gateway.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types import CompletionUsage


@dataclass
class Answer:
    text: str = ""
    reasoning: str = ""
    #: (name, parsed arguments) per call
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: CompletionUsage | None = None


def ask(sdk: openai.OpenAI, model: str, stream: bool, **params: Any) -> Answer:
    """`params` go to `chat.completions.create` as they are (messages, tools, ...)."""
    if not stream:
        completion = sdk.chat.completions.create(model=model, **params)
        choice = completion.choices[0]
        message = choice.message
        calls = [(c.function.name, json.loads(c.function.arguments)) for c in _calls(message)]
        reasoning = (message.model_extra or {}).get("reasoning_content") or ""
        text = message.content or ""
        return Answer(text, reasoning, calls, choice.finish_reason, completion.usage)
    answer = Answer()
    names: dict[int, str] = {}
    arguments: dict[int, list[str]] = {}
    chunks = sdk.chat.completions.create(
        model=model, stream=True, stream_options={"include_usage": True}, **params
    )
    with chunks:
        for chunk in chunks:
            answer.usage = chunk.usage or answer.usage
            for choice in chunk.choices:
                delta = choice.delta
                answer.text += delta.content or ""
                answer.reasoning += (delta.model_extra or {}).get("reasoning_content") or ""
                for call in delta.tool_calls or ():
                    if call.function and call.function.name:
                        names[call.index] = call.function.name
                    piece = call.function.arguments if call.function else None
                    arguments.setdefault(call.index, []).append(piece or "")
                answer.finish_reason = choice.finish_reason or answer.finish_reason
    answer.tool_calls = [(names[i], json.loads("".join(arguments[i]))) for i in sorted(names)]
    return answer


def _calls(message: Any) -> list[Any]:
    return [c for c in message.tool_calls or () if c.type == "function"]


def post_and_leave(port: int, body: bytes, upstream_saw_it: Callable[[], bool]) -> None:
    """Send a raw request, wait until `upstream_saw_it()` is true, then close the socket.

    The SDK cannot drop a request mid-wait on purpose; a socket can, at a known moment."""
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        wait_until(upstream_saw_it)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
