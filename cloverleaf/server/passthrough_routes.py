"""LLM Proxy's `GET|POST|DELETE /v1/{path}`: any OpenAI path no exact route serves, forwarded
as it came (method, path, query, body, safe headers) and answered as the upstream answered.

Registered last, so `/v1/chat/completions`, `/v1/models`, ... keep their own handlers. The
path is confined before anything is sent (`proxy_path`); the client's credentials never leave.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.stream import error_event
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.proxy_forward import Forwarded, ProxyCall, forward, forwarded_headers
from cloverleaf.pipeline.proxy_path import confined_path, confined_query
from cloverleaf.pipeline.result import record_of
from cloverleaf.server.asgi import (
    DisconnectWatch,
    Headers,
    HttpRequest,
    Send,
    WriteDeadline,
    response_headers,
)
from cloverleaf.server.errors import send_openai_error
from cloverleaf.transport.base import TransportError

#: the methods the pass-through answers (the seed's GET and POST, and DELETE for `/v1/files/{id}`
#: and the other OpenAI resources the SDK deletes)
METHODS = ("GET", "POST", "DELETE")
#: upstream response headers a client may see; never cookies or the upstream's account details
_RESPONSE_HEADERS = (
    "content-disposition",
    "openai-processing-ms",
    "openai-version",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)
_DURATION = b"x-llm-proxy-remote-duration-ms"


class PassthroughRoute:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings

    async def handle(self, request: HttpRequest, send: Send) -> None:
        started = time.perf_counter()
        watch: DisconnectWatch | None = None
        try:
            raw_path: bytes = request.scope.get("raw_path") or request.path.encode()
            call = ProxyCall(
                request.method,
                confined_path(raw_path.partition(b"?")[0]),
                confined_query(request.query),
                forwarded_headers(request.headers),
                await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s),
            )
            started = time.perf_counter()
            watch = DisconnectWatch(request.receive)
            forwarded = await forward(self._gateway, call)
            await self._relay(send, request.request_id, forwarded)
        except GatewayError as error:
            if error.provider is not None:  # the upstream was called
                ms = round((time.perf_counter() - started) * 1000)
                error.headers = (*error.headers, (_DURATION.decode(), str(ms)))
            await send_openai_error(send, request.request_id, error)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()

    async def _relay(self, send: Send, request_id: str, forwarded: Forwarded) -> None:
        """Send the upstream's answer on chunk by chunk; record it once it ended."""
        opened = forwarded.opened
        response = opened.response
        content_type = response.header("content-type") or "application/octet-stream"
        sse = content_type.lower().startswith("text/event-stream")
        status = forwarded.status
        try:
            async with WriteDeadline(self._settings.write_timeout_s) as deadline:
                start = {"type": "http.response.start", "status": status}
                await send({**start, "headers": self._headers(forwarded, content_type, request_id)})
                chunk = opened.first
                while chunk is not None:
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                        deadline.progressed()
                    try:
                        chunk = await response.next_chunk()
                    except TransportError as exc:
                        # the status is sent: an event stream ends with OpenAI's error event;
                        # any other body is left unfinished, so the client sees it cut short
                        status = 502
                        if sse:
                            failed = error_event(f"upstream stream failed: {exc}")
                            await send({"type": "http.response.body", "body": failed})
                        return
                await send({"type": "http.response.body", "body": b""})
        finally:
            await opened.aclose()
            record = record_of(opened, request_id, sse, None, status)
            self._gateway.record(replace(record, request_type="passthrough"))

    @staticmethod
    def _headers(forwarded: Forwarded, content_type: str, request_id: str) -> Headers:
        opened = forwarded.opened
        extra: Headers = [(_DURATION, b"%d" % round(opened.remote_ms))]
        for name in _RESPONSE_HEADERS:
            value = opened.response.header(name)
            if value is not None:
                extra.append((name.encode(), value.encode("latin-1")))
        if content_type.lower().startswith("text/event-stream"):
            extra += [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
        return response_headers(content_type.encode("latin-1"), request_id, extra)
