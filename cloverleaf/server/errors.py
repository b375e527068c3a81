"""Render a GatewayError for the route it happened on."""

from __future__ import annotations

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.server.asgi import Send, response_headers, send_bytes


async def send_openai_error(
    send: Send,
    request_id: str,
    error: GatewayError,
    *,
    model: str | None = None,
    request_type: str = "",
) -> None:
    extra = [(name.encode(), value.encode()) for name, value in error.headers]
    headers = response_headers(b"application/json", request_id, extra)
    body = render_error(error, model=model, request_type=request_type)
    await send_bytes(send, error.status, headers, body)
