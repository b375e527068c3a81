"""Fold the seed schemas and pydantic models that routes name into `components/schemas`.

Routes point at seed 000's schema files (`bifrost/schemas/management/providers.yaml#/Key`), whose
own `$ref`s cross files (`../../schemas/management/common.yaml#/...`). The document must stand
alone, so every schema reached is copied into `components/schemas` once and each `$ref` is
rewritten to point there. A name two files both define gets its file as a prefix.
"""

from __future__ import annotations

import posixpath
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel

from cloverleaf.management.registry import Schema

_COMPONENTS = "#/components/schemas/"
_SCHEMA_ROOT = files("cloverleaf.openapi") / "schemas"


@cache
def _load(file: str) -> Any:
    """A packaged seed schema file, parsed once per process."""
    if posixpath.isabs(file) or ".." in file.split("/"):
        raise ValueError(f"schema file {file!r} is outside the packaged seed schemas")
    return yaml.safe_load((_SCHEMA_ROOT / file).read_text(encoding="utf-8"))


def _resolve(document: Any, pointer: str, where: str) -> Any:
    node = document
    for token in filter(None, pointer.split("/")):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            raise KeyError(f"schema {where} does not exist")
        node = node[key]
    return node


class SchemaBundle:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        self._names: dict[tuple[str, str], str] = {}
        self._models: dict[type[BaseModel], str] = {}

    def schema(self, schema: Schema) -> dict[str, Any]:
        """A `$ref` into `components/schemas` for a route's schema (seed `$ref` or model)."""
        if isinstance(schema, str):
            file, _, pointer = schema.partition("#")
            return {"$ref": _COMPONENTS + self._add(file, pointer)}
        return self._model(schema)

    def _model(self, model: type[BaseModel]) -> dict[str, Any]:
        name = self._models.get(model)
        if name is None:
            generated = model.model_json_schema(ref_template=_COMPONENTS + "{model}")
            for nested, definition in generated.pop("$defs", {}).items():
                if self.components.setdefault(nested, definition) != definition:
                    raise ValueError(f"two schemas are both named {nested}")
            name = model.__name__
            if self.components.get(name) != generated:  # not already there as another's $def
                name = self._claim(name, f"{model.__module__}.{name}")
            self._models[model] = name
            self.components[name] = generated
        return {"$ref": _COMPONENTS + name}

    def _add(self, file: str, pointer: str) -> str:
        key = (file, pointer)
        name = self._names.get(key)
        if name is not None:
            return name
        name = self._unique_name(file, pointer)
        self._names[key] = name
        self.components[name] = {}  # reserved first: schemas may refer to themselves
        target = _resolve(_load(file), pointer, f"{file}#{pointer}")
        self.components[name] = self._rewrite(target, file)
        return name

    def _unique_name(self, file: str, pointer: str) -> str:
        base = "_".join(filter(None, pointer.split("/"))) or posixpath.basename(file)
        folder, stem = posixpath.split(posixpath.splitext(file)[0])
        return self._claim(base, f"{posixpath.basename(folder)}.{stem}.{base}")

    def _claim(self, name: str, qualified: str) -> str:
        """The plain name while it is free, else the qualified one."""
        if name not in self.components:
            return name
        if qualified in self.components:
            raise ValueError(f"two schemas are both named {qualified}")
        return qualified

    def _rewrite(self, node: Any, file: str) -> Any:
        if isinstance(node, list):
            return [self._rewrite(item, file) for item in node]
        if not isinstance(node, dict):
            return node
        rewritten = {key: self._rewrite(value, file) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str):
            target, _, pointer = ref.partition("#")
            if target:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(file), target))
                target = _under_root(target, file)
            rewritten["$ref"] = _COMPONENTS + self._add(target or file, pointer)
        return rewritten


def _under_root(target: str, file: str) -> str:
    """A `$ref` target resolved against its file must stay inside the packaged schemas."""
    if target.startswith("../"):
        raise ValueError(f"{file} refers to {target}, outside the packaged seed schemas")
    return target
