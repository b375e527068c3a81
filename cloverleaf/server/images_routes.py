"""The image-generation faces: OpenAI's `/v1/images/generations` (and its `/openai` twin) and
OmniRoute's `/api/v1` paths, where a request every upstream failed is a 502. Parse, run the one
pipeline, render; errors in OpenAI's shape."""

from __future__ import annotations

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.management.registry import Handler, Policy, Route
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.images import REQUEST_TYPE, run_images
from cloverleaf.providers.images.wire import parse_image_request
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.omniroute_routes import all_failed, with_provider
from cloverleaf.server.respond import send_error_body

_JSON = b"application/json"
_PATH = "/v1/images/generations"
#: OpenAI's face is also served under Bifrost's `/openai` prefix
_PREFIXES = ("", "/openai")


class ImageRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings

    async def openai(self, request: HttpRequest, send: Send) -> None:
        await self._serve(request, send, provider=None, omniroute=False)

    async def omniroute(self, request: HttpRequest, send: Send) -> None:
        await self._serve(request, send, provider=None, omniroute=True)

    async def omniroute_provider(self, request: HttpRequest, send: Send) -> None:
        """`/api/v1/providers/{provider}/...`: the model is taken as that provider's."""
        provider: str = request.scope.get("path_params", {}).get("provider", "")
        if provider not in self._gateway.table.routes:
            error = GatewayError(
                404, f"provider {provider!r} is not configured", code="provider_not_found"
            )
            await self._fail(request, send, error)
            return
        await self._serve(request, send, provider=provider, omniroute=True)

    async def _serve(
        self, request: HttpRequest, send: Send, *, provider: str | None, omniroute: bool
    ) -> None:
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            client = parse_image_request(with_provider(raw, provider) if provider else raw)
            result = await run_images(self._gateway, client, request.request_id)
        except GatewayError as error:
            await self._fail(request, send, all_failed(error) if omniroute else error)
            return
        duration = [(b"x-llm-proxy-remote-duration-ms", b"%d" % round(result.remote_ms))]
        headers = response_headers(_JSON, request.request_id, duration)
        await send_bytes(send, 200, headers, result.body)

    @staticmethod
    async def _fail(request: HttpRequest, send: Send, error: GatewayError) -> None:
        body = render_error(error, request_type=REQUEST_TYPE)
        await send_error_body(send, request.request_id, error, body, _JSON)


def images_routes(gateway: Gateway, settings: ServerSettings) -> list[Route]:
    """Every path image generation is served on, each with its auth policy and summary."""
    images = ImageRoutes(gateway, settings)

    def route(path: str, handler: Handler, summary: str, tag: str) -> Route:
        return Route("POST", path, handler, Policy.CLIENT, summary=summary, tags=(tag,))

    routes = [
        route(prefix + _PATH, images.openai, "Image generation", "Inference")
        for prefix in _PREFIXES
    ]
    routes.append(route("/api" + _PATH, images.omniroute, "Image generation", "OmniRoute"))
    routes.append(
        route(
            "/api/v1/providers/{provider}/images/generations",
            images.omniroute_provider,
            "Image generation with the provider forced",
            "OmniRoute",
        )
    )
    return routes
