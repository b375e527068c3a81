"""Anthropic error bodies both ways, `{"type":"error","error":{"type","message"}}` (mapping.md §11).

Types follow the HTTP status; 529 `overloaded_error` keeps its own status so retries see it.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError

#: Anthropic's error type for each HTTP status; 503 is what other providers call "overloaded"
_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
#: the status an in-band stream error stands for, so retry and fallback can classify it
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def error_type(error: GatewayError) -> str:
    """Keep a specific Anthropic type; otherwise derive it from the status, because the core
    default (`invalid_request_error`) says nothing about a 404 or a 502."""
    if error.type in _STATUS_BY_TYPE and error.type != "invalid_request_error":
        return error.type
    return _type_for_status(error.status)


def _type_for_status(status: int) -> str:
    return _TYPE_BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request_error")


def error_body(error: GatewayError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type(error), "message": error.message}}


def render_error(error: GatewayError) -> bytes:
    return orjson.dumps(error_body(error))


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """The provider's own message and type; a non-JSON body (an edge proxy's HTML) is kept as
    text so the client still sees what went wrong."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()[:500]
        return _error(status, {"message": text}, provider)
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, str):
        error = {"message": error}
    return _error(status, error if isinstance(error, dict) else {}, provider)


def stream_error(payload: Any, provider: str | None) -> GatewayError:
    """An `event: error` that arrived after HTTP 200: its type decides the status."""
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    kind = error.get("type")
    status = _STATUS_BY_TYPE.get(kind, 500) if isinstance(kind, str) else 500
    return _error(status, {"message": "upstream stream error", **error}, provider)


def _error(status: int, error: dict[str, Any], provider: str | None) -> GatewayError:
    message = error.get("message")
    kind = error.get("type")
    details = error.get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    return GatewayError(
        status,
        str(message) if message else f"upstream returned HTTP {status}",
        type=kind if isinstance(kind, str) and kind else _type_for_status(status),
        code=code if isinstance(code, str) else None,
        provider=provider or None,
    )
