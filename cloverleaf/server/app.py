"""The ASGI callable: exact-path dispatch first, so the hot path pays for no framework."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Receive, Scope, Send
from cloverleaf.server.errors import send_openai_error
from cloverleaf.server.routes import build_routes

log = logging.getLogger("cloverleaf.server")


class CloverleafApp:
    """Routes are `(method, path) → handler`; a path no route declares is unreachable."""

    def __init__(
        self,
        gateway: Gateway,
        settings: ServerSettings,
        draining: Callable[[], bool] = lambda: False,
    ) -> None:
        self.gateway = gateway
        self.routes = build_routes(gateway, settings, draining)
        self._warmup: asyncio.Task[object] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = self.routes.find(scope["method"], scope["path"])
            request = HttpRequest(scope, receive)
            if handler is None:
                await self._no_route(request, send)
                return
            await handler(request, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _no_route(self, request: HttpRequest, send: Send) -> None:
        if self.routes.knows_path(request.path):
            error = GatewayError(405, f"method {request.method} is not allowed on {request.path}")
        else:
            error = GatewayError(
                404, f"no route for {request.method} {request.path}", code="not_found"
            )
        await send_openai_error(send, request.request_id, error)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # learn which bare model names each provider serves, without delaying startup
                self._warmup = asyncio.get_running_loop().create_task(self.gateway.models.list())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._warmup is not None:
                    self._warmup.cancel()
                await self.gateway.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
