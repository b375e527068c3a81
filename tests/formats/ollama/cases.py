"""Find fixture case folders, and print core values as short JSON for expected files."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.formats.fixtures import to_json

FIXTURES = Path(__file__).parent / "fixtures"


def cases(*names: str) -> list[Any]:
    """One pytest param per case folder that holds every file in `names`."""
    folders = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    found = [pytest.param(p, id=p.name) for p in folders if all((p / n).exists() for n in names)]
    assert found, f"no fixture case has {names}"
    return found


def core_json(value: Any) -> Any:
    """Like `to_json`, but fields still at their default are left out, so an expected file
    names only what the translator set."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        for field in dataclasses.fields(value):
            current = getattr(value, field.name)
            if field.default is not dataclasses.MISSING:
                default: Any = field.default
            elif field.default_factory is not dataclasses.MISSING:
                default = field.default_factory()
            else:
                default = dataclasses.MISSING
            if current != default:
                out[field.name] = core_json(current)
        return out
    if isinstance(value, list | tuple):
        return [core_json(v) for v in value]
    if isinstance(value, dict):
        return {k: core_json(v) for k, v in value.items()}
    return to_json(value)


def ndjson(raw: bytes) -> list[Any]:
    """Every line a JSON object, every line ended by a newline."""
    assert raw.endswith(b"\n") and b"\n\n" not in raw
    return [orjson.loads(line) for line in raw[:-1].split(b"\n")]
