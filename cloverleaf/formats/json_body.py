"""Request bodies are JSON objects in every dialect; one parser, one error message."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import bad_request


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object", code="invalid_json")
    return body
