"""Cohere error bodies both ways: a flat `{"id"?, "message"}` object (cohere.md "Errors").

Cohere's own statuses are mapped to standard ones so retry and fallback can classify them:
498 (invalid token) is an authentication failure (401) and 499 (client closed request, i.e. the
gateway hung up) a 502 from the client's point of view.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout",
}
_STATUS = {498: (401, "invalid_token"), 499: (502, "client_closed_request")}


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """The provider's message; a non-JSON body (an edge proxy's HTML) is kept as text."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = body.decode("utf-8", "replace").strip()[:500]
    message = data.get("message") if isinstance(data, dict) else data
    status, code = _STATUS.get(status, (status, None))
    return GatewayError(
        status,
        str(message) if message else f"upstream returned HTTP {status}",
        type=_type(status),
        code=code,
        provider=provider or None,
    )


def stream_error(message: str, provider: str) -> GatewayError:
    """`message-end` with an `error` string: generation failed after HTTP 200."""
    return GatewayError(500, message, type="server_error", provider=provider or None)


def render_error(error: GatewayError) -> bytes:
    return orjson.dumps({"message": error.message})


def _type(status: int) -> str:
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
