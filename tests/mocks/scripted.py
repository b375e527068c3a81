"""The machinery every provider mock shares: scripted replies, request recording, disconnects.

Each mock is a raw ASGI app scripted from the test thread while it runs in a uvicorn thread,
so all shared state sits behind one lock. Subclasses keep the wire format: they implement
``_route`` and decide when to ``_next_reply()``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import orjson

from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

ReplyT = TypeVar("ReplyT")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the upstream saw it (headers lower-cased; ``json`` None if unparsable)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any


async def read_request(
    scope: Scope, receive: Receive, *, join: str | None = None
) -> RecordedRequest | None:
    """Read the whole body (None if the client disconnects first) and record the request.

    Header names are lower-cased; a repeated header keeps the last value, or with ``join``
    all values joined by it.
    """
    body = bytearray()
    while (message := await receive())["type"] != "http.disconnect":
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    else:
        return None
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        joined = join is not None and name in headers
        headers[name] = f"{headers[name]}{join}{value}" if joined else value
    try:
        parsed: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    query = scope["query_string"].decode("latin-1")
    return RecordedRequest(scope["method"], scope["path"], query, headers, bytes(body), parsed)


async def wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ScriptedUpstream(Generic[ReplyT]):
    """A FIFO reply queue, recorded requests, in-flight count and disconnect tracking."""

    _header_join: str | None = None  # how repeated request headers are combined

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: deque[ReplyT] = deque()
        self._requests: list[RecordedRequest] = []
        self._active = 0
        self._disconnects = 0
        self.disconnected = threading.Event()

    # ---- scripting / inspection (any thread) ----
    def enqueue(self, *replies: ReplyT) -> None:
        """Queue replies, consumed FIFO (one per request that takes a scripted answer)."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise LookupError("no request recorded")
            return self._requests[-1]

    def wait_for_disconnect(self, timeout: float) -> bool:
        return self.disconnected.wait(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being handled (the app finishes after the client reads)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._active == 0, timeout)

    def reset(self) -> None:
        """Forget recorded requests and disconnects and drop queued replies."""
        self._forget(queue=True)

    def _forget(self, *, queue: bool) -> None:
        """Drop recorded requests and disconnects (and queued replies if ``queue``)."""
        with self._lock:
            self._requests.clear()
            self._disconnects = 0
            self.disconnected.clear()
            if queue:
                self._queue.clear()

    def _next_reply(self) -> ReplyT | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _note_disconnect(self) -> None:
        with self._lock:
            self._disconnects += 1
            self.disconnected.set()

    # ---- ASGI ----
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive, join=self._header_join)
        if request is None:
            return self._note_disconnect()
        with self._lock:
            self._requests.append(request)
            self._active += 1
        try:
            await self._route(request, receive, send)
        finally:
            with self._lock:
                self._active -= 1
                self._lock.notify_all()

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    async def _watch(self, receive: Receive, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` while listening for ``http.disconnect``; True if the client left first."""
        task = asyncio.ensure_future(work)
        listener = asyncio.ensure_future(wait_disconnect(receive))
        try:
            await asyncio.wait((task, listener), return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished = task.done()
            task.cancel()
            listener.cancel()
            await asyncio.gather(task, listener, return_exceptions=True)
        if finished:
            task.result()
            return False
        self._note_disconnect()
        return True


class ModelCatalog(ScriptedUpstream[ReplyT]):
    """A scripted upstream that lists models; ``reset()`` restores the constructor's list."""

    def __init__(self, models: Sequence[str]) -> None:
        super().__init__()
        self._initial_models, self._models = tuple(models), list(models)

    def set_models(self, ids: Sequence[str]) -> None:
        with self._lock:
            self._models = list(ids)

    def _model_ids(self) -> list[str]:
        with self._lock:
            return list(self._models)

    def reset(self) -> None:
        """Also drop queued replies and restore the constructor's model list."""
        super().reset()
        with self._lock:
            self._models = list(self._initial_models)


class Served:
    """The lifecycle of a mock that owns a ``ThreadedServer`` in ``self.server``."""

    server: ThreadedServer

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.server.base_url

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
