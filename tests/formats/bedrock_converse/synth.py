"""A Converse response → the ConverseStream Bedrock would send for the same answer.

Shared by `make_fixtures.py` (the recorded `.eventstream` fixtures) and the mock upstream, so
both stream the way bedrock.md describes: text split into word pieces with no
`contentBlockStart`, tool input split into several JSON fragments after a `contentBlockStart`,
reasoning text then its signature, `messageStop`, then `metadata` with usage; every payload
carries Bedrock's random-length `p` padding field.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from cloverleaf.formats.bedrock_converse.eventstream import event_frame

JSON = dict[str, Any]
Event = tuple[str, JSON]
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"


def stream_events(response: JSON) -> list[Event]:
    """The `(:event-type, payload)` sequence for a Converse response body."""
    events: list[Event] = [("messageStart", {"role": "assistant"})]
    for index, block in enumerate(response["output"]["message"]["content"]):
        for name, payload in block_events(block):
            events.append((name, {"contentBlockIndex": index, **payload}))
        events.append(("contentBlockStop", {"contentBlockIndex": index}))
    events.append(("messageStop", {"stopReason": response["stopReason"]}))
    metrics = response.get("metrics", {"latencyMs": 0})
    events.append(("metadata", {"usage": response["usage"], "metrics": metrics}))
    return events


def block_events(block: JSON) -> list[Event]:
    """Start/delta events for one content block, without its index."""
    if "text" in block:
        pieces = re.findall(r"\s*\S+|\s+", block["text"]) or [""]
        return [("contentBlockDelta", {"delta": {"text": p}}) for p in pieces]
    if "reasoningContent" in block:
        text = block["reasoningContent"]["reasoningText"]
        parts = [{"text": text["text"]}, {"signature": text["signature"]}]
        return [("contentBlockDelta", {"delta": {"reasoningContent": p}}) for p in parts]
    use = block["toolUse"]
    arguments = orjson.dumps(use["input"]).decode()
    size = max(1, min(8, (len(arguments) + 1) // 2))  # ≥ 2 pieces: clients must concatenate
    start = {"start": {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}}
    pieces = [arguments[i : i + size] for i in range(0, len(arguments), size)]
    deltas: list[Event] = [
        ("contentBlockDelta", {"delta": {"toolUse": {"input": p}}}) for p in pieces
    ]
    return [("contentBlockStart", start), *deltas]


def frame(name: str, payload: JSON) -> bytes:
    """One event frame, padded like Bedrock pads it (deterministically, for fixtures)."""
    return event_frame(name, orjson.dumps({**payload, "p": PADDING[: 5 + len(name) % 20]}))


def stream_bytes(events: list[Event]) -> bytes:
    return b"".join(frame(name, payload) for name, payload in events)
