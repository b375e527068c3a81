"""Replicate's problem+json errors (`{"title","detail","status"}`), read and written."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import default_type
from cloverleaf.formats.openai_chat.errors import upstream_error as openai_error


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """`detail` is the specific sentence, `title` the category; a 422 also lists
    `invalid_fields`, whose first `field` (`input.prompt`) becomes the param. Bodies of any
    other shape (a proxy's, plain text) read as the OpenAI family's do."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not ({"title", "detail"} & data.keys()):
        return openai_error(status, body, provider)
    title, detail = _text(data.get("title")), _text(data.get("detail"))
    message = f"{title}: {detail}" if title and detail and title != detail else title or detail
    return GatewayError(
        status,
        message or f"upstream returned HTTP {status}",
        type=default_type(status),
        param=_first_field(data.get("invalid_fields")),
        provider=provider,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _first_field(fields: Any) -> str | None:
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        field = fields[0].get("field")
        return field if isinstance(field, str) else None
    return None


def render_error(error: GatewayError) -> bytes:
    try:
        title = HTTPStatus(error.status).phrase
    except ValueError:
        title = "Error"
    return orjson.dumps({"title": title, "detail": error.message, "status": error.status})
