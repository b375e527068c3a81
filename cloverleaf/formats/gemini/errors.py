"""Google RPC error bodies `{"error":{code, message, status, details}}`, read and written.

Gemini reports a bad API key as 400 INVALID_ARGUMENT with reason API_KEY_INVALID; it is a 401 to
everyone else. `google.rpc.RetryInfo.retryDelay` is Gemini's only retry hint (no headers), so
it becomes `retry-after`, and the other way round when we render an error for a Gemini client.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})
_TYPE_URL = "type.googleapis.com/google.rpc."


def status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")


def error_type(status: int) -> str:
    """The OpenAI-style `type` GatewayError carries."""
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def parse_error(status: int, body: bytes, provider: str) -> GatewayError:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()[:500]
        return GatewayError(
            status, text or f"upstream returned HTTP {status}",
            type=error_type(status), provider=provider or None,
        )  # fmt: skip
    if isinstance(data, list) and data:  # the non-SSE stream wraps errors in an array
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return GatewayError(
            status, f"upstream returned HTTP {status}",
            type=error_type(status), provider=provider or None,
        )  # fmt: skip
    return error_from_object(status, error, provider)


def error_from_object(status: int, error: dict[str, Any], provider: str) -> GatewayError:
    """`status` is the HTTP status; in-stream errors pass the body's own `code`."""
    details = [d for d in error.get("details") or () if isinstance(d, dict)]
    reason = _detail(details, "ErrorInfo", "reason")
    if status == 400 and reason in _BAD_KEY_REASONS:
        status = 401
    violations = _detail(details, "BadRequest", "fieldViolations")
    param = None
    if isinstance(violations, list) and violations and isinstance(violations[0], dict):
        param = violations[0].get("field")
    delay = _seconds(_detail(details, "RetryInfo", "retryDelay"))
    google_status = error.get("status")
    message = error.get("message")
    return GatewayError(
        status,
        str(message) if message else f"upstream returned HTTP {status}",
        type=error_type(status),
        code=str(reason or google_status) if reason or google_status else None,
        param=str(param) if param else None,
        headers=(("retry-after", str(delay)),) if delay is not None else (),
        provider=provider or None,
    )


def _detail(details: list[dict[str, Any]], kind: str, field: str) -> Any:
    for detail in details:
        if detail.get("@type") == _TYPE_URL + kind and field in detail:
            return detail[field]
    return None


def _seconds(delay: Any) -> int | None:
    """`"27s"` / `"1.5s"` (a proto Duration) → whole seconds, rounded up."""
    if not isinstance(delay, str) or not delay.endswith("s"):
        return None
    try:
        return math.ceil(float(delay[:-1]))
    except ValueError:
        return None


def error_body(error: GatewayError) -> dict[str, Any]:
    """The RPC error object; reason, param and retry hint ride in the standard `details`."""
    details: list[dict[str, Any]] = []
    if error.code or error.provider:
        info: dict[str, Any] = {
            "@type": _TYPE_URL + "ErrorInfo",
            "reason": error.code or status_name(error.status),
            "domain": "cloverleaf",
        }
        if error.provider:
            info["metadata"] = {"provider": error.provider}
        details.append(info)
    if error.param:
        violation = {"field": error.param, "description": error.message}
        details.append({"@type": _TYPE_URL + "BadRequest", "fieldViolations": [violation]})
    retry = next((v for k, v in error.headers if k.lower() == "retry-after"), None)
    if retry is not None and retry.isdigit():
        details.append({"@type": _TYPE_URL + "RetryInfo", "retryDelay": f"{retry}s"})
    body: dict[str, Any] = {
        "code": error.status,
        "message": error.message,
        "status": status_name(error.status),
    }
    if details:
        body["details"] = details
    return {"error": body}


def render_error(error: GatewayError) -> bytes:
    return orjson.dumps(error_body(error))
