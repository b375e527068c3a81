"""OpenAI's audio faces (`/v1/audio/speech`, `/v1/audio/transcriptions`, their `/openai` twins)
and OmniRoute's (`/api/v1/audio/...`, where upstream exhaustion is a 502). Parse, run, render;
errors in OpenAI's shape."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.audio.multipart import parse_form
from cloverleaf.formats.audio.speech import parse_speech_request
from cloverleaf.formats.audio.transcription import parse_transcription_form
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.management.registry import Handler, Policy, Route
from cloverleaf.pipeline.audio_speech import REQUEST_TYPE as SPEECH
from cloverleaf.pipeline.audio_speech import run_speech
from cloverleaf.pipeline.audio_transcriptions import REQUEST_TYPE as TRANSCRIPTION
from cloverleaf.pipeline.audio_transcriptions import run_transcription
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import DisconnectWatch, HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.omniroute_routes import all_failed
from cloverleaf.server.respond import send_error_body, send_result

_JSON = b"application/json"
#: `/v1/...` and the `/openai/v1/...` twin (routes.OPENAI_PREFIXES)
_OPENAI_PREFIXES = ("", "/openai")


class AudioRoutes:
    """`omni`: OmniRoute's contract, an upstream failure that ended the request is a 502."""

    def __init__(self, gateway: Gateway, settings: ServerSettings, *, omni: bool = False) -> None:
        self._gateway = gateway
        self._settings = settings
        self._omni = omni

    async def speech(self, request: HttpRequest, send: Send) -> None:
        async def run() -> None:
            speech = parse_speech_request(await self._body(request))
            result = await run_speech(self._gateway, speech, request.request_id)
            await send_result(send, request.request_id, result, self._settings.write_timeout_s)

        await self._serve(request, send, run, SPEECH)

    async def transcriptions(self, request: HttpRequest, send: Send) -> None:
        async def run() -> None:
            form = parse_form(await self._body(request), request.header(b"content-type"))
            transcription = parse_transcription_form(form)
            result = await run_transcription(self._gateway, transcription, request.request_id)
            duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(result.remote_ms))]
            headers = response_headers(result.content_type.encode(), request.request_id, duration)
            await send_bytes(send, result.status, headers, result.body)

        await self._serve(request, send, run, TRANSCRIPTION)

    async def _body(self, request: HttpRequest) -> bytes:
        return await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)

    async def _serve(
        self,
        request: HttpRequest,
        send: Send,
        run: Callable[[], Awaitable[None]],
        request_type: str,
    ) -> None:
        """Run with the upstream call cancelled if the client leaves; errors as OpenAI's."""
        watch: DisconnectWatch | None = None
        try:
            watch = DisconnectWatch(request.receive)
            await run()
        except GatewayError as error:
            if self._omni:
                error = all_failed(error)
            body = render_error(error, request_type=request_type)
            await send_error_body(send, request.request_id, error, body, _JSON)
        except asyncio.CancelledError:
            if watch is None or not watch.absorb():
                raise
        finally:
            if watch is not None:
                watch.stop()


def audio_routes(gateway: Gateway, settings: ServerSettings) -> list[Route]:
    """Every audio path: OpenAI's, its `/openai` twin, and OmniRoute's."""
    openai = AudioRoutes(gateway, settings)
    omni = AudioRoutes(gateway, settings, omni=True)

    def route(path: str, handler: Handler, summary: str, tag: str) -> Route:
        return Route("POST", path, handler, Policy.CLIENT, summary=summary, tags=(tag,))

    routes = [
        route("/api/v1/audio/speech", omni.speech, "Speech", "OmniRoute"),
        route("/api/v1/audio/transcriptions", omni.transcriptions, "Transcriptions", "OmniRoute"),
    ]
    for prefix in _OPENAI_PREFIXES:
        routes += [
            route(f"{prefix}/v1/audio/speech", openai.speech, "Speech", "Inference"),
            route(
                f"{prefix}/v1/audio/transcriptions",
                openai.transcriptions,
                "Transcriptions",
                "Inference",
            ),
        ]
    return routes
