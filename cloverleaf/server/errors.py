"""Render a GatewayError for routes that have no dialect of their own (unknown paths)."""

from __future__ import annotations

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.server.asgi import Send
from cloverleaf.server.respond import send_error_body


async def send_openai_error(send: Send, request_id: str, error: GatewayError) -> None:
    await send_error_body(send, request_id, error, render_error(error), b"application/json")
