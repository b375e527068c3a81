"""JSON Schema ⇄ the OpenAPI-3.0 `Schema` subset Gemini reads in function `parameters`.

We send `parameters`, not the newer `parametersJsonSchema`: `parameters` is accepted by every
Gemini model, by both API versions (the SDK now defaults to `v1`, not `v1beta`) and by Vertex,
while `parametersJsonSchema` is gated by model and version. The price is hygiene: keywords with an
OpenAPI equivalent are rewritten (`$ref` inlined, `type` lists → `nullable`/`anyOf`, `oneOf` →
`anyOf`, `const` → `enum`, `allOf` merged), and the rest are dropped. What is dropped
(`additionalProperties`, `$schema`, `default`, `examples`, ...) only annotates or tightens a
schema, so a call that fits the original still fits. Recursive `$ref`s cannot be inlined: 400.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.errors import bad_request

_KEPT = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "items",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "minimum",
        "maximum",
    }
)
_NESTED_LISTS = ("anyOf", "oneOf")


def to_gemini(schema: dict[str, Any], param: str) -> dict[str, Any] | None:
    """`parameters` for one declaration, or None for a function without arguments (Gemini wants
    no-arg functions declared without `parameters`)."""
    defs: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        if isinstance(schema.get(key), dict):
            defs.update(schema[key])
    out: dict[str, Any] = _convert(schema, defs, (), param)
    if out.get("type") == "object" and not out.get("properties"):
        return None
    return out


def _convert(node: Any, defs: dict[str, Any], seen: tuple[str, ...], param: str) -> Any:
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen or not isinstance(defs.get(name), dict):
            why = "is recursive" if name in seen else "does not resolve"
            raise bad_request(
                f"tool schema $ref {ref!r} {why}; Gemini needs it inlined", param=param
            )
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _convert(merged, defs, (*seen, name), param)
    node = _merge_all_of(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub, defs, seen, param) for name, sub in value.items()}
        elif key == "items":
            out[key] = _convert(value, defs, seen, param)
        elif key in _NESTED_LISTS and isinstance(value, list):
            out.setdefault("anyOf", []).extend(_convert(v, defs, seen, param) for v in value)
        elif key == "const":
            out["enum"] = [value]
        elif key in _KEPT and key != "type":
            out[key] = value
    _apply_type(node.get("type"), out)
    if "anyOf" in out:
        _fold_null_branch(out)
    return out


def _merge_all_of(node: dict[str, Any]) -> dict[str, Any]:
    """`allOf` (pydantic wraps `$ref`s in it) merged shallowly into the node itself."""
    parts = node.get("allOf")
    if not isinstance(parts, list):
        return node
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in parts:
        if isinstance(part, dict):
            merged = {**part, **merged}
    return merged


def _apply_type(kind: Any, out: dict[str, Any]) -> None:
    if isinstance(kind, str):
        if kind == "null":
            out["nullable"] = True
        else:
            out["type"] = kind
        return
    if not isinstance(kind, list):
        return
    types = [t for t in kind if isinstance(t, str) and t != "null"]
    if len(types) < len(kind):
        out["nullable"] = True
    if len(types) == 1:
        out["type"] = types[0]
    elif types:
        out.setdefault("anyOf", []).extend({"type": t} for t in types)


def _fold_null_branch(out: dict[str, Any]) -> None:
    """`anyOf: [X, {"type": "null"}]` (pydantic's Optional) becomes X with `nullable`."""
    branches = [b for b in out["anyOf"] if b != {"nullable": True}]
    if len(branches) == len(out["anyOf"]):
        return
    out["nullable"] = True
    if len(branches) == 1 and isinstance(branches[0], dict):
        del out["anyOf"]
        for key, value in branches[0].items():
            out.setdefault(key, value)
    else:
        out["anyOf"] = branches


def from_gemini(schema: Any) -> Any:
    """Gemini's schema back into JSON Schema: lower-case type names, `nullable` as a type list."""
    if isinstance(schema, list):
        return [from_gemini(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: from_gemini(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = from_gemini(value)
        elif key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key not in ("nullable", "propertyOrdering"):
            out[key] = value
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out
