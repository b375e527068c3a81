"""Relay an OpenAI SSE stream as bytes while reading usage from its final events."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.usage import Usage

_EVENT_END = b"\n\n"
_USAGE_KEY = b'"usage":'


class SseUsageTap:
    """Feed upstream chunks in, get bytes to send out.

    Only complete events are passed on (a partial event waits for its end), so a usage-only
    event the client did not ask for can be dropped whole. Events are parsed only when the
    cheap byte search for `"usage"` hits, which in practice is the last one or two.
    """

    __slots__ = ("_hide_usage_event", "_pending", "usage")

    def __init__(self, *, hide_usage_event: bool) -> None:
        self._hide_usage_event = hide_usage_event
        self._pending = b""
        self.usage: Usage | None = None

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk if self._pending else chunk
        data = data.replace(b"\r\n", b"\n") if b"\r" in data else data
        end = data.rfind(_EVENT_END)
        if end < 0:
            self._pending = data
            return b""
        complete, self._pending = data[: end + 2], data[end + 2 :]
        if _USAGE_KEY not in complete:
            return complete
        return self._scan(complete)

    def flush(self) -> bytes:
        """Whatever was left unterminated when the upstream closed."""
        rest, self._pending = self._pending, b""
        return self._scan(rest + _EVENT_END) if rest.strip() else b""

    def _scan(self, events: bytes) -> bytes:
        """Parse only the events holding a usage object; pass every other byte through as is."""
        kept: list[bytes] = []
        done = 0
        mark = _find_usage_object(events, 0)
        while mark >= 0:
            start = events.rfind(_EVENT_END, 0, mark)
            start = 0 if start < 0 else start + 2
            end = events.find(_EVENT_END, mark)
            end = len(events) if end < 0 else end + 2
            parsed = _parse(_data_payload(events[start:end]))
            usage = Usage.from_openai(parsed.get("usage"))
            if usage is not None:
                self.usage = usage
                if self._hide_usage_event and not parsed.get("choices"):
                    kept.append(events[done:start])
                    done = end
            mark = _find_usage_object(events, end)
        if not done:
            return events
        kept.append(events[done:])
        return b"".join(kept)


def _find_usage_object(data: bytes, start: int) -> int:
    """Where a `"usage": {...}` begins; OpenAI's `"usage":null` on ordinary chunks is skipped."""
    pos = data.find(_USAGE_KEY, start)
    while pos >= 0:
        value = data[pos + len(_USAGE_KEY) : pos + len(_USAGE_KEY) + 8].lstrip()
        if value.startswith(b"{"):
            return pos
        pos = data.find(_USAGE_KEY, pos + len(_USAGE_KEY))
    return -1


def _data_payload(event: bytes) -> bytes:
    start = event.find(b"data:")
    if start < 0:
        return b""
    end = event.find(b"\n", start)
    return event[start + 5 : end if end >= 0 else len(event)].strip()


def _parse(payload: bytes) -> dict[str, Any]:
    if not payload:
        return {}
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


def error_event(message: str, type_: str = "server_error", code: str | None = None) -> bytes:
    """The mid-stream failure event OpenAI sends; SDKs raise on a chunk with an `error` key."""
    error = {"message": message, "type": type_, "param": None, "code": code}
    return b"data: " + orjson.dumps({"error": error}) + _EVENT_END
