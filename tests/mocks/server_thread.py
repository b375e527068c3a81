"""Run any raw ASGI app under uvicorn in a background thread.

Tests need real HTTP servers (real sockets, chunked encoding, disconnects) that they can
script from the main thread; this helper owns the thread/event-loop plumbing so each
provider mock only has to be an ASGI callable.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any, Self

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "ThreadedServer"]


class ThreadedServer:
    """A uvicorn server bound to 127.0.0.1 running in a daemon thread.

    ``start()`` blocks until the socket is listening; ``stop()`` shuts down gracefully and
    then forces exit after ``graceful_timeout`` so never-ending streams cannot hang a test.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        graceful_timeout: float = 0.5,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self._app = app
        self._tls = tls  # (certfile, keyfile): serve HTTPS
        self._host = host
        self._requested_port = port
        self._graceful_timeout = graceful_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The actual listening port (resolved when ``port=0``)."""
        if self._port is None:
            raise RuntimeError("server is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:PORT`` without a trailing slash."""
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{self._host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Self:
        """Start the server thread and wait until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        config = uvicorn.Config(
            self._app,
            host=self._host,
            port=self._requested_port,
            loop="asyncio",
            http="httptools",
            lifespan="off",
            log_level="warning",
            log_config=None,  # do not reconfigure the test process' global logging
            access_log=False,
            ssl_certfile=self._tls[0] if self._tls else None,
            ssl_keyfile=self._tls[1] if self._tls else None,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._error = None
        thread = threading.Thread(
            target=self._run, args=(server,), name=f"asgi-{type(self._app).__name__}", daemon=True
        )
        self._thread = thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                self._thread = self._server = self._loop = None
                raise RuntimeError("server thread exited during startup") from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"server did not start within {timeout}s")
            time.sleep(0.002)
        sockets = server.servers[0].sockets
        self._port = int(sockets[0].getsockname()[1])
        return self

    def _run(self, server: uvicorn.Server) -> None:
        try:
            with asyncio.Runner() as runner:  # like server.run(), but we keep the loop
                self._loop = runner.get_loop()
                runner.run(server.serve())
        except BaseException as exc:  # surfaced by start(); SystemExit on bind failure
            self._error = exc

    @staticmethod
    def _abort_connections(server: uvicorn.Server) -> None:
        """Drop every open connection: apps watching receive() see http.disconnect."""
        for connection in list(server.server_state.connections):
            connection.transport.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and join its thread; idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(self._graceful_timeout + 0.2)
        if thread.is_alive() and self._loop is not None:
            # Open streams keep graceful shutdown waiting: cut their connections, which
            # lets well-behaved apps end cleanly instead of being cancelled mid-await.
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._abort_connections, server)
            thread.join(0.5)
        if thread.is_alive():
            server.force_exit = True  # the runner then cancels whatever is left
            thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("server thread did not stop")
        self._thread = self._server = self._loop = self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
