"""JSON in and out for management routes; errors in Bifrost's BifrostError shape (API.md §5)."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes

#: management bodies are small; a bigger one is a mistake, not a config
MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT_S = 30.0


async def read_json_object(request: HttpRequest) -> dict[str, Any]:
    body = await request.body(MAX_BODY_BYTES, BODY_TIMEOUT_S)
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data


async def send_json(send: Send, request_id: str, payload: Any, status: int = 200) -> None:
    headers = response_headers(b"application/json", request_id)
    await send_bytes(send, status, headers, orjson.dumps(payload))


def render_bifrost_error(error: GatewayError) -> bytes:
    """Only string fields where the schema wants strings (no nulls)."""
    detail: dict[str, str] = {"type": error.type, "message": error.message}
    if error.code:
        detail["code"] = error.code
    if error.param:
        detail["param"] = error.param
    return orjson.dumps(
        {
            "type": error.type,
            "is_bifrost_error": True,
            "status_code": error.status,
            "error": detail,
        }
    )


async def send_bifrost_error(send: Send, request_id: str, error: GatewayError) -> None:
    extra = [(name.encode(), value.encode()) for name, value in error.headers]
    headers = response_headers(b"application/json", request_id, extra)
    await send_bytes(send, error.status, headers, render_bifrost_error(error))
