"""Error bodies: read whatever shape an OpenAI-compatible upstream sent, write one shape back."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError

_DEFAULT_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """Normalise the family's error shapes (checklist item 5 of openai-compatible.md).

    OpenAI `{"error":{...}}`, `{"error":"text"}`, vLLM `{"object":"error",...}`, OpenRouter's
    integer codes, Fireworks' `fault`, pydantic `detail` lists, Cloudflare's v4 envelope
    `{"success":false,"errors":[{"code","message"}]}`, or no JSON at all.
    """
    message, type_, code, param = _fields(body)
    return GatewayError(
        status,
        message or f"upstream returned HTTP {status}",
        type=type_ or default_type(status),
        code=code,
        param=param,
        provider=provider,
    )


def _fields(body: bytes) -> tuple[str | None, str | None, str | None, str | None]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        return (text[:500] or None), None, None, None
    if not isinstance(data, dict):
        return None, None, None, None
    error = data.get("error", data if data.get("object") == "error" else None)
    if isinstance(error, str):
        return error, None, None, None
    if isinstance(error, dict):
        return (
            _str(error.get("message")),
            _str(error.get("type")),
            _str(error.get("code")),
            _str(error.get("param")),
        )
    errors = data.get("errors")
    if isinstance(errors, list) and errors:  # Cloudflare's v4 envelope: the first error tells
        first = errors[0]
        if isinstance(first, dict):
            return _str(first.get("message")), None, _str(first.get("code")), None
        return _str(first), None, None, None
    fault = data.get("fault")
    if isinstance(fault, dict):
        return _str(fault.get("faultstring")), None, None, None
    detail = data.get("detail")
    if detail is not None:
        return (
            _str(detail) if isinstance(detail, str) else orjson.dumps(detail).decode(),
            None,
            None,
            None,
        )
    return _str(data.get("message")), None, None, None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def default_type(status: int) -> str:
    return _DEFAULT_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def render_error(error: GatewayError, *, request_type: str = "") -> bytes:
    """OpenAI's error object, extended the way Bifrost's BifrostError extends it."""
    extra: dict[str, Any] = {}
    if error.provider:
        extra["provider"] = error.provider
    if error.model:
        extra["model_requested"] = error.model
    if request_type:
        extra["request_type"] = request_type
    return orjson.dumps(
        {
            "error": {
                "message": error.message,
                "type": error.type,
                "param": error.param,
                "code": error.code,
            },
            "is_bifrost_error": error.provider is None,
            "status_code": error.status,
            "extra_fields": extra,
        }
    )
