"""Validate response bodies against seed 000's JSON schemas, `$ref`s resolved across files."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SEED = Path(__file__).parent / "seed" / "bifrost"
PROVIDERS = SEED / "schemas" / "management" / "providers.yaml"
INFERENCE_COMMON = SEED / "schemas" / "inference" / "common.yaml"


def _retrieve(uri: str) -> Resource[Any]:
    path = Path(uri.removeprefix("file://"))
    contents = yaml.safe_load(path.read_text())
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@cache
def _registry() -> Registry[Any]:
    return Registry(retrieve=_retrieve)  # type: ignore[call-arg]


def validator(file: Path, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{file.as_uri()}#/{name}"}, registry=_registry())


def assert_valid(instance: Any, name: str, file: Path = PROVIDERS) -> None:
    """Raises with every schema violation listed."""
    errors = sorted(validator(file, name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        lines = [f"{list(e.absolute_path)}: {e.message}" for e in errors]
        raise AssertionError(f"not a valid {name}:\n  " + "\n  ".join(lines))
