"""The v4 envelope's error shape, read from upstreams and written for native clients."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import upstream_error as openai_error


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """`{"success":false,"errors":[{"code":7003,"message":...}]}` → the first error. The OpenAI
    family's reader knows this envelope (Cloudflare's `/ai/v1` surface answers in it too), and
    every other shape a proxy or plain text may send."""
    return openai_error(status, body, provider)


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
