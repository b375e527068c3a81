"""The v4 envelope's error shape, read from upstreams and written for native clients."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import default_type
from cloverleaf.formats.openai_chat.errors import upstream_error as openai_error


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """`{"success":false,"errors":[{"code":7003,"message":...}]}` → the first error. Bodies
    without an `errors` list (the `/ai/v1` surface, proxies, plain text) read as OpenAI's."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    first = first_error(data)
    if first is None:
        return openai_error(status, body, provider)
    message, code = first
    return GatewayError(
        status,
        message or f"upstream returned HTTP {status}",
        type=default_type(status),
        code=code,
        provider=provider,
    )


def first_error(data: Any) -> tuple[str, str | None] | None:
    """(message, code as text) of an envelope's first error; None when there is no list."""
    if not isinstance(data, dict):
        return None
    errors = data.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    error = errors[0]
    if not isinstance(error, dict):
        return str(error), None
    code = error.get("code")
    message = error.get("message")
    return (str(message) if message is not None else "", str(code) if code is not None else None)


def error_entry(error: GatewayError) -> dict[str, Any]:
    """Cloudflare codes are numbers: keep a numeric code as one, else fall back to the status."""
    code: int | str = error.status
    if error.code is not None:
        code = int(error.code) if error.code.isdigit() else error.code
    return {"code": code, "message": error.message}


def render_error(error: GatewayError) -> bytes:
    return orjson.dumps(
        {"result": None, "success": False, "errors": [error_entry(error)], "messages": []}
    )
