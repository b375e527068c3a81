"""Relay an OpenAI SSE stream as bytes while reading usage from its final events."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.usage import Usage

_EVENT_END = b"\n\n"
_USAGE_MARK = b'"usage"'


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
        if _USAGE_MARK not in complete:
            return complete
        return self._scan(complete)

    def flush(self) -> bytes:
        """Whatever was left unterminated when the upstream closed."""
        rest, self._pending = self._pending, b""
        return self._scan(rest + _EVENT_END) if rest.strip() else b""

    def _scan(self, events: bytes) -> bytes:
        kept = []
        for event in events.split(_EVENT_END):
            if not event:
                continue
            payload = _data_payload(event)
            if payload is not None and _USAGE_MARK in payload:
                parsed = _parse(payload)
                usage = Usage.from_openai(parsed.get("usage")) if parsed else None
                if usage is not None:
                    self.usage = usage
                    if self._hide_usage_event and not parsed.get("choices"):
                        continue
            kept.append(event)
        return _EVENT_END.join(kept) + _EVENT_END if kept else b""


def _data_payload(event: bytes) -> bytes | None:
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            return line[5:].strip()
    return None


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


def error_event(message: str, type_: str = "server_error", code: str | None = None) -> bytes:
    """The mid-stream failure event OpenAI sends; SDKs raise on a chunk with an `error` key."""
    error = {"message": message, "type": type_, "param": None, "code": code}
    return b"data: " + orjson.dumps({"error": error}) + _EVENT_END
