"""Bedrock exceptions ⇄ GatewayError (mapping.md §11).

Bedrock names the failure in the `x-amzn-ErrorType` header (`Name:http://internal...`) and sends
only `{"message": ...}`; some front ends put the name in the body's `__type` or `code`
(`com.amazon.coral.service#Name`). Streams name it in the `:exception-type` header, camelCase.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError

#: exception name → (status the gateway reports, OpenAI-style error type)
_EXCEPTIONS: dict[str, tuple[int, str]] = {
    "ValidationException": (400, "invalid_request_error"),
    "ConflictException": (400, "invalid_request_error"),
    "UnrecognizedClientException": (401, "authentication_error"),
    "InvalidSignatureException": (401, "authentication_error"),
    "IncompleteSignatureException": (401, "authentication_error"),
    "MissingAuthenticationTokenException": (401, "authentication_error"),
    "ExpiredTokenException": (401, "authentication_error"),
    "AccessDeniedException": (403, "permission_error"),
    "ResourceNotFoundException": (404, "not_found_error"),
    "ThrottlingException": (429, "rate_limit_error"),
    "ServiceQuotaExceededException": (429, "rate_limit_error"),
    "ModelNotReadyException": (503, "server_error"),
    "ServiceUnavailableException": (503, "server_error"),
    "ModelTimeoutException": (504, "timeout_error"),
    "ModelErrorException": (500, "server_error"),
    "ModelStreamErrorException": (500, "server_error"),
    "InternalServerException": (500, "server_error"),
}
_DEFAULT_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
#: status → the exception a Bedrock client expects for it (client side and the stream encoder)
_BY_STATUS = {
    400: "ValidationException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    429: "ThrottlingException",
    503: "ServiceUnavailableException",
    504: "ModelTimeoutException",
}


def exception_name(raw: str) -> str:
    """`Name:http://internal...`, `ns#Name` or stream `camelName` → `Name`."""
    name = raw.split(":", 1)[0].rsplit("#", 1)[-1].strip()
    return name[:1].upper() + name[1:]


def upstream_error(
    status: int, body: bytes, provider: str, error_type: str | None = None
) -> GatewayError:
    """Normalise a non-2xx Bedrock answer. Pass the `x-amzn-ErrorType` header as `error_type`
    when the caller has it; otherwise the body's `__type`/`code` is used."""
    data = _json(body)
    message = _str(data.get("message")) or _str(data.get("Message"))
    raw_type = error_type or _str(data.get("__type")) or _str(data.get("code"))
    name = exception_name(raw_type) if raw_type else None
    if message is None and body.strip() and not data:
        message = body.decode("utf-8", "replace").strip()[:500]
    return from_exception(name, message or f"upstream returned HTTP {status}", status, provider)


def from_exception(
    name: str | None, message: str, status: int, provider: str | None
) -> GatewayError:
    """The gateway's view of a named Bedrock exception; unknown names keep the HTTP status."""
    mapped, type_ = _EXCEPTIONS.get(name or "", (status, ""))
    default = "server_error" if mapped >= 500 else "invalid_request_error"
    return GatewayError(
        mapped,
        message,
        type=type_ or _DEFAULT_TYPES.get(mapped, default),
        code=name,
        provider=provider or None,
    )


def stream_exception(raw_name: str, payload: bytes, provider: str | None) -> GatewayError:
    """An `:message-type: exception` frame after the 200 response."""
    data = _json(payload)
    message = _str(data.get("message")) or _str(data.get("originalMessage"))
    name = exception_name(raw_name)
    return from_exception(name, message or f"upstream stream failed: {name}", 502, provider)


def name_for(error: GatewayError) -> str:
    """The Bedrock exception a client of this dialect should see for a gateway error."""
    if error.code in _EXCEPTIONS:
        return error.code
    default = "InternalServerException" if error.status >= 500 else "ValidationException"
    return _BY_STATUS.get(error.status, default)


def render_error(error: GatewayError) -> bytes:
    """`{"message": ...}` as Bedrock sends it, plus `__type` so SDK clients get the exception
    name even where the server cannot add the `x-amzn-ErrorType` header."""
    return orjson.dumps({"message": error.message, "__type": name_for(error)})


def error_type_header(error: GatewayError) -> tuple[str, str]:
    """The `x-amzn-ErrorType` header a Bedrock-dialect route should send with `render_error`."""
    return (
        "x-amzn-ErrorType",
        f"{name_for(error)}:http://internal.amazon.com/coral/com.amazon.bedrock/",
    )


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
