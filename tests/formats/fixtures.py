"""Shared helpers for translator fixture tests: load fixture files, compare core values as JSON.

Fixture folders live beside each dialect's tests (`tests/formats/<dialect>/fixtures/<case>/`).
Core values are compared through `to_json`, so an expected file is readable JSON, not Python.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import orjson

from cloverleaf.core.chat import StreamEvent, coalesce
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import StreamDecoder


def load_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


#: `Usage` fields a chat never sets (images, audio, characters): written only when set, so chat
#: fixtures need not spell them
_UNIT_FIELDS = frozenset({"images", "audio_seconds", "characters"})


def to_json(value: Any) -> Any:
    """Dataclasses (with a `type` tag), enums, tuples → plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: to_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (
                isinstance(value, Usage) and f.name in _UNIT_FIELDS and not getattr(value, f.name)
            )
        }
        return {"type": type(value).__name__, **fields}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def decode_split(
    make: type[StreamDecoder] | Any, stream: bytes, cuts: Sequence[int]
) -> list[StreamEvent]:
    """Feed a recorded stream to a fresh decoder cut at the given byte offsets."""
    decoder = make()
    events: list[StreamEvent] = []
    bounds = [0, *cuts, len(stream)]
    for start, end in itertools.pairwise(bounds):
        events.extend(decoder.feed(stream[start:end]))
    events.extend(decoder.close())
    return events


def every_split(stream: bytes) -> Iterable[list[int]]:
    """No cut, then a single cut at every byte boundary."""
    yield []
    for cut in range(1, len(stream)):
        yield [cut]


def merge_text(events: Sequence[StreamEvent]) -> list[StreamEvent]:
    """Join adjacent deltas, so the result does not depend on how the bytes were split."""
    return coalesce(list(events))
