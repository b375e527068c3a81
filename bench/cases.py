"""Benchmark cases as data rows: what to send, where, and how to tell the answer is right.

A new dialect (say Anthropic ``/v1/messages`` in front of the OpenAI upstream) is one more
``Case`` row with its own path, body, headers and check, plus ``baseline`` naming the direct
case it is measured against; nothing else in the harness changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench import payloads

Headers = tuple[tuple[str, str], ...]
Check = Callable[[bytes], str | None]  # None when the body is a right answer, else why not

OPENAI_HEADERS: Headers = (
    ("Content-Type", "application/json"),
    ("Authorization", "Bearer sk-bench"),
)


def check_chat_completion(body: bytes) -> str | None:
    """A ``chat.completion`` carrying the mock's reply text unchanged."""
    try:
        data = json.loads(body)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, LookupError, TypeError) as exc:
        return f"not a chat.completion ({type(exc).__name__}): {body[:120]!r}"
    if data.get("object") != "chat.completion" or content != payloads.REPLY:
        return f"unexpected completion: {body[:120]!r}"
    return None


def check_chat_stream(body: bytes) -> str | None:
    """Every content delta in order, a ``stop``, and ``[DONE]`` last.

    The usage-only chunk may be missing: OpenAI sends it only when the client asks with
    ``stream_options.include_usage``, which this request does not (RESULTS.md counted such a
    21-event stream as valid too).
    """
    events = [ln[5:].strip() for ln in body.splitlines() if ln.startswith(b"data:")]
    if not events or events[-1] != b"[DONE]":
        return f"stream does not end with data: [DONE] ({len(events)} events)"
    text, finish = [], None
    try:
        for event in map(json.loads, events[:-1]):
            for choice in event["choices"]:
                text.append(choice.get("delta", {}).get("content") or "")
                finish = choice.get("finish_reason") or finish
    except (ValueError, LookupError, TypeError, AttributeError) as exc:
        return f"bad chunk ({type(exc).__name__}) in {body[:120]!r}"
    if "".join(text) != payloads.REPLY or finish != "stop":
        return f"stream text/finish differ from the mock's ({len(events)} events, {finish=})"
    return None


ANTHROPIC_HEADERS: Headers = (
    ("Content-Type", "application/json"),
    ("x-api-key", "sk-bench"),
    ("anthropic-version", "2023-06-01"),
)


def check_anthropic_stream(body: bytes) -> str | None:
    """Anthropic events carrying the mock's reply text, ending with `message_stop`."""
    events = [ln[5:].strip() for ln in body.splitlines() if ln.startswith(b"data:")]
    text = []
    try:
        parsed = [json.loads(event) for event in events]
        for event in parsed:
            delta = event.get("delta") or {}
            if event.get("type") == "content_block_delta" and delta.get("type") == "text_delta":
                text.append(delta["text"])
    except (ValueError, LookupError, TypeError, AttributeError) as exc:
        return f"bad event ({type(exc).__name__}) in {body[:120]!r}"
    if not parsed or parsed[-1].get("type") != "message_stop":
        return f"stream does not end with message_stop ({len(parsed)} events)"
    if "".join(text) != payloads.REPLY:
        return "streamed text differs from the mock's reply"
    return None


def note_stream_events(body: bytes) -> str | None:
    """Say when a system relays a different number of events than the mock sent."""
    sent = payloads.STREAM_EVENTS + 1
    got = sum(1 for line in body.splitlines() if line.startswith(b"data:"))
    if got == sent:
        return None
    return f"{got} data: lines where the mock sent {sent} (usage-only chunk dropped?)"


@dataclass(frozen=True, slots=True)
class Case:
    """One request shape. ``baseline`` names the case whose direct-to-mock run is the reference
    for "added" latency (None: this case itself is sent straight to the mock too)."""

    name: str
    path: str
    body: bytes
    stream: bool
    check: Check
    headers: Headers = OPENAI_HEADERS
    note: Check | None = None  # like check, but a difference worth reporting, not a failure
    baseline: str | None = None
    translated: bool = False  # needs a system that translates between dialects

    @property
    def reference(self) -> str:
        return self.baseline or self.name


_CHAT = "/v1/chat/completions"
CASES: tuple[Case, ...] = (
    Case("chat", _CHAT, payloads.CHAT_REQUEST, stream=False, check=check_chat_completion),
    Case(
        "chat-stream",
        _CHAT,
        payloads.CHAT_STREAM_REQUEST,
        stream=True,
        check=check_chat_stream,
        note=note_stream_events,
    ),
    # cross-dialect: an Anthropic client in front of the OpenAI-compatible mock, translated
    Case(
        "messages-stream",
        "/v1/messages",
        payloads.ANTHROPIC_STREAM_REQUEST,
        stream=True,
        check=check_anthropic_stream,
        headers=ANTHROPIC_HEADERS,
        baseline="chat-stream",
        translated=True,
    ),
)


def with_headers(case: Case, extra: Headers) -> Case:
    """`case` sending `extra` in place of its headers of the same names (a client key)."""
    if not extra:
        return case
    names = {name.lower() for name, _ in extra}
    kept = tuple((name, value) for name, value in case.headers if name.lower() not in names)
    return replace(case, headers=kept + extra)


def select(names: list[str] | None) -> tuple[list[Case], list[Case]]:
    """(cases to put through each target, cases to send direct to the mock as references)."""
    by_name = {case.name: case for case in CASES}
    unknown = [n for n in names or [] if n not in by_name]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; known: {sorted(by_name)}")
    chosen = [by_name[n] for n in names] if names else list(CASES)
    references = list(dict.fromkeys(by_name[c.reference] for c in chosen))
    return chosen, references
