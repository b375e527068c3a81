"""Send a pipeline result to the client: one body, or a relayed stream with a write deadline."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from cloverleaf.core.errors import GatewayError
from cloverleaf.pipeline.result import ChatResult
from cloverleaf.server.asgi import Headers, Send, WriteDeadline, response_headers, send_bytes

_STREAM_HEADERS: Headers = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
#: a body this small goes straight into the socket buffer: writing it can never stall
_BUFFERED_WRITE = 64 * 1024


async def send_result(
    send: Send, request_id: str, result: ChatResult, write_timeout_s: float
) -> None:
    duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(result.remote_ms))]
    content_type = result.content_type.encode()
    if result.stream is None:
        headers = response_headers(content_type, request_id, duration)
        if len(result.body) < _BUFFERED_WRITE:
            await send_bytes(send, result.status, headers, result.body)
            return
        async with asyncio.timeout(write_timeout_s):
            await send_bytes(send, result.status, headers, result.body)
        return
    headers = response_headers(content_type, request_id, duration + _STREAM_HEADERS)
    async with aclosing(result.stream) as chunks, WriteDeadline(write_timeout_s) as deadline:
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            deadline.progressed()
    await send({"type": "http.response.body", "body": b""})


async def send_error_body(
    send: Send, request_id: str, error: GatewayError, body: bytes, content_type: bytes
) -> None:
    extra = [(name.encode(), value.encode()) for name, value in error.headers]
    await send_bytes(send, error.status, response_headers(content_type, request_id, extra), body)
