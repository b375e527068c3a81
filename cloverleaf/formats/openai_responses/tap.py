"""Usage read from a forwarded Responses stream, whose bytes go to the client unchanged.

OpenAI puts usage only in the terminal event's `response` (`response.completed`, or
`response.incomplete` / `response.failed`), so only those events are parsed as JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_responses.response import usage_from_responses
from cloverleaf.formats.sse import SseEvent, SseParser

_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


class ResponsesUsageTap:
    def __init__(self) -> None:
        self._sse = SseParser()
        self.usage: Usage | None = None
        #: events seen so far: the next event's `sequence_number` (OpenAI counts from 0)
        self.events = 0

    def feed(self, chunk: bytes) -> None:
        self._read(self._sse.feed(chunk))

    def close(self) -> None:
        self._read(self._sse.close())

    def _read(self, events: list[SseEvent]) -> None:
        self.events += len(events)
        for event in events:
            named = event.event is not None
            if named and event.event not in _TERMINAL:
                continue
            if not named and not _terminal_data(event.data):
                continue
            try:
                payload: Any = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                continue
            response = payload.get("response") if isinstance(payload, dict) else None
            if isinstance(response, dict):
                self.usage = usage_from_responses(response.get("usage")) or self.usage


def _terminal_data(data: str) -> bool:
    """A stream without `event:` lines still names its type in the data."""
    return any(f'"type":"{kind}"' in data for kind in _TERMINAL)


def body_usage(body: bytes) -> Usage | None:
    """The `usage` of a whole Responses object."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return usage_from_responses(parsed.get("usage")) if isinstance(parsed, dict) else None
