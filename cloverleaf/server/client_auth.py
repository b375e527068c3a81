"""Client credentials on inference routes, refused in the dialect of the route: the issuer's JWT
when `ENABLE_AUTH=true` (Inference Gateway seed: every `/llms` operation declares `bearerAuth`),
and the client keys (virtual keys) governance checks."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.anthropic.errors import render_error as anthropic_error
from cloverleaf.formats.gemini.errors import render_error as gemini_error
from cloverleaf.formats.ollama.errors import render_error as ollama_error
from cloverleaf.formats.openai_chat.errors import render_error as openai_error
from cloverleaf.server.admin_auth import bearer_token
from cloverleaf.server.asgi import HttpRequest, Send
from cloverleaf.server.gemini_routes import MODEL_PREFIXES
from cloverleaf.server.inference_gateway_routes import render_error as inference_gateway_error
from cloverleaf.server.oidc import OidcVerifier, invalid_token
from cloverleaf.server.respond import send_error_body

Renderer = Callable[[GatewayError], bytes]
#: after `Authorization: Bearer`, in this order (API.md §1); then `?key=`, then `x-bf-vk`
_KEY_HEADERS = (b"x-api-key", b"x-goog-api-key")
_MAX_CANDIDATES = 5


def presented_keys(request: HttpRequest, bearer: bool = True) -> list[str]:
    """Every client key the request carries, in the documented order. SDKs put whatever key
    they were given in their own header, so each is a candidate; `bearer=False` when the
    Authorization header holds an OIDC token instead."""
    found: list[str] = []
    if bearer:
        auth = request.header(b"authorization")
        if auth is not None and auth[:7].lower() == "bearer ":
            found.append(auth[7:].strip())
    found += [value.strip() for value in map(request.header, _KEY_HEADERS) if value]
    if b"key=" in request.query:
        found += parse_qs(request.query.decode("utf-8", "replace")).get("key", [])[-1:]
    virtual = request.header(b"x-bf-vk")
    if virtual:
        found.append(virtual.strip())
    return [value for value in found if value][:_MAX_CANDIDATES]


class ClientAuth:
    def __init__(self, oidc: OidcVerifier) -> None:
        self._oidc = oidc

    async def check(self, request: HttpRequest) -> GatewayError | None:
        token = bearer_token(request)
        if token is None:
            return invalid_token("this gateway needs Authorization: Bearer <OIDC token>")
        try:
            await self._oidc.verify(token.decode("ascii", "replace"))
        except GatewayError as error:
            return error
        return None


def renderer_for(path: str) -> Renderer:
    """The error dialect of an inference path (the route table mounts each dialect's paths;
    OmniRoute mounts them again under `/api/v1`, Inference Gateway answers `{error}`)."""
    if path == "/llms" or path.startswith("/llms/"):
        return inference_gateway_error
    if path.endswith(("/v1/messages", "/v1/messages/count_tokens")):
        return anthropic_error
    if path.startswith((*MODEL_PREFIXES, "/api/v1beta/")) or path.endswith("/v1beta/models"):
        return gemini_error
    if path.startswith("/api/v1/api/"):
        return ollama_error
    if path == "/api/v1" or path.startswith("/api/v1/"):
        return openai_error
    if path.startswith("/api/"):
        return ollama_error
    return openai_error


async def send_client_auth_error(send: Send, request: HttpRequest, error: GatewayError) -> None:
    body = renderer_for(request.path)(error)
    await send_error_body(send, request.request_id, error, body, b"application/json")
