"""The few ASGI primitives the handlers need, without a framework's per-request cost."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cloverleaf.core.errors import GatewayError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


class HttpRequest:
    """The parts of an ASGI HTTP scope handlers use, read once."""

    __slots__ = ("headers", "method", "path", "query", "receive", "request_id", "scope")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query: bytes = scope.get("query_string", b"")
        self.headers: dict[bytes, bytes] = dict(scope["headers"])
        self.request_id = _request_id(self.headers.get(b"x-request-id"))

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return value.decode("latin-1") if value is not None else None

    async def body(self, limit: int, timeout_s: float) -> bytes:
        """The whole request body; 413 past `limit`, 408 if the client sends too slowly."""
        message = await self.receive()
        body: bytes = message.get("body", b"")
        if not message.get("more_body"):
            _check_size(len(body), limit)
            return body
        parts = [body]
        size = len(body)
        try:
            async with asyncio.timeout(timeout_s):
                while message.get("more_body"):
                    message = await self.receive()
                    if message["type"] == "http.disconnect":
                        raise GatewayError(400, "client disconnected while sending the body")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    _check_size(size, limit)
                    parts.append(chunk)
        except TimeoutError:
            raise GatewayError(
                408, "request body was not received in time", code="timeout"
            ) from None
        return b"".join(parts)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise GatewayError(413, f"request body exceeds {limit} bytes", code="body_too_large")


def _request_id(given: bytes | None) -> str:
    """Echo a sane client id (so traces join up); otherwise make one."""
    if given and len(given) <= 128 and given.isascii() and given.replace(b"-", b"").isalnum():
        return given.decode()
    return os.urandom(16).hex()


def response_headers(
    content_type: bytes, request_id: str, extra: list[tuple[bytes, bytes]] | None = None
) -> Headers:
    headers: Headers = [(b"content-type", content_type), (b"x-request-id", request_id.encode())]
    if extra:
        headers.extend(extra)
    return headers


async def send_bytes(send: Send, status: int, headers: Headers, body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class DisconnectWatch:
    """Cancels the handler when the client goes away, so its upstream call is cancelled too.

    ASGI servers drop writes to a closed connection silently, so waiting for `http.disconnect`
    is the only way to notice a client that left while the upstream is still working. The
    watching task starts only once a request has run for `delay_s`: most calls finish sooner,
    and a task per request would cost more than the rest of the gateway's own work.
    """

    __slots__ = ("_handler", "_receive", "_task", "_timer", "disconnected")

    def __init__(self, receive: Receive, delay_s: float = 0.05) -> None:
        self.disconnected = False
        handler = asyncio.current_task()
        assert handler is not None
        self._handler = handler
        self._receive = receive
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            delay_s, self._start
        )

    def _start(self) -> None:
        self._timer = None
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                self._handler.cancel()
                return

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()

    def absorb(self) -> bool:
        """After a CancelledError: True if it was ours (the client left) and is now handled."""
        if not self.disconnected:
            return False
        self._handler.uncancel()
        return True


class WriteDeadline:
    """SERVER_WRITE_TIMEOUT for a streamed response without a timer per chunk.

    One asyncio timeout covers the whole relay; it is pushed forward at most once a second as
    writes succeed, so a client that stops reading is cut off after roughly `timeout_s`.
    """

    __slots__ = ("_cm", "_loop", "_next_push", "_timeout_s")

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._loop = asyncio.get_running_loop()
        self._next_push = self._loop.time() + 1.0
        self._cm = asyncio.timeout(timeout_s)

    async def __aenter__(self) -> WriteDeadline:
        await self._cm.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._cm.__aexit__(*exc_info)

    def progressed(self) -> None:
        now = self._loop.time()
        if now >= self._next_push:
            self._next_push = now + 1.0
            self._cm.reschedule(now + self._timeout_s)
