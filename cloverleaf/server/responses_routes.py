"""The Responses API faces: OpenAI's `/v1/responses` (and its `/openai` twin) and OmniRoute's
`/api/v1/responses`, whose upstream exhaustion is a 502. Parse, run, render; errors in OpenAI's
shape."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.formats.openai_responses.dialect import REQUEST_TYPE, OpenAIResponsesDialect
from cloverleaf.formats.openai_responses.request import parse_responses_request
from cloverleaf.management.registry import Policy, Route
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.responses import run_responses
from cloverleaf.server.asgi import DisconnectWatch, HttpRequest, Send
from cloverleaf.server.omniroute_routes import all_failed
from cloverleaf.server.respond import send_error_body, send_result

_JSON = b"application/json"


class ResponsesRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings

    async def openai(self, request: HttpRequest, send: Send) -> None:
        await self._serve(request, send, omniroute=False)

    async def omniroute(self, request: HttpRequest, send: Send) -> None:
        await self._serve(request, send, omniroute=True)

    async def _serve(self, request: HttpRequest, send: Send, *, omniroute: bool) -> None:
        watch: DisconnectWatch | None = None
        client: ClientChat | None = None
        try:
            settings = self._settings
            raw = await request.body(settings.max_body_bytes, settings.read_timeout_s)
            peek = parse_responses_request(raw)
            dialect = OpenAIResponsesDialect.for_request(
                peek.body, int(time.time()), f"gen-{request.request_id}"
            )
            client = ClientChat(
                dialect, peek.body, peek.model, peek.stream, peek.fallbacks, raw=peek.raw
            )
            watch = DisconnectWatch(request.receive)
            result = await run_responses(self._gateway, client, request.request_id)
            await send_result(send, request.request_id, result, settings.write_timeout_s)
        except GatewayError as error:
            if omniroute:
                error = all_failed(error)
            error.model = error.model or (client.model if client else None)
            body = render_error(error, request_type=REQUEST_TYPE)
            await send_error_body(send, request.request_id, error, body, _JSON)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()


def responses_routes(
    gateway: Gateway, settings: ServerSettings, prefixes: Iterable[str]
) -> list[Route]:
    """`POST {prefix}/v1/responses` for each OpenAI prefix, and OmniRoute's path."""
    routes = ResponsesRoutes(gateway, settings)
    out = [
        Route(
            "POST",
            f"{prefix}/v1/responses",
            routes.openai,
            Policy.CLIENT,
            summary="Create a response (OpenAI Responses API)",
            tags=("Inference",),
        )
        for prefix in prefixes
    ]
    out.append(
        Route(
            "POST",
            "/api/v1/responses",
            routes.omniroute,
            Policy.CLIENT,
            summary="Responses API",
            tags=("OmniRoute",),
        )
    )
    return out
