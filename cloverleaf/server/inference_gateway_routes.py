"""The Inference Gateway face (seed 001): `GET /llms`, `GET /llms/{provider}` and
`POST /llms/{provider}/generate`, served by the same model lister and chat pipeline as every
other face, with the seed's provider names and its `{error}` shape."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.request import parse_chat_request
from cloverleaf.pipeline.chat import run_chat
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.models import ModelEntry
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.respond import send_error_body

#: the seed's `Providers` enum → this gateway's provider name (the seed calls Gemini `google`)
SEED_PROVIDERS = {
    "ollama": "ollama",
    "groq": "groq",
    "openai": "openai",
    "google": "gemini",
    "cloudflare": "cloudflare",
    "cohere": "cohere",
    "anthropic": "anthropic",
}
_ROLES = frozenset({"system", "user", "assistant"})
_JSON = b"application/json"


def render_error(error: GatewayError) -> bytes:
    """The seed's error body: `{"error": "<message>"}` for every status."""
    return orjson.dumps({"error": error.message})


def seed_status(error: GatewayError) -> GatewayError:
    """The seed declares 500 as its only server error: upstream and gateway failures (502, 503,
    504) become 500 with their message kept; client errors keep their status."""
    if error.status <= 500:
        return error
    failed = GatewayError(500, error.message, type=error.type, code=error.code)
    failed.headers = error.headers
    return failed


class InferenceGatewayRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings
        self._dialect = OpenAIChatDialect()

    async def list_all(self, request: HttpRequest, send: Send) -> None:
        """`[{provider, models}]` for every seed provider configured here."""
        entries = await self._gateway.models.list()
        configured = self._gateway.table.routes
        body = [
            {"provider": seed, "models": _models(entries, name)}
            for seed, name in SEED_PROVIDERS.items()
            if name in configured
        ]
        await self._send(send, request.request_id, body)

    async def list_provider(self, request: HttpRequest, send: Send) -> None:
        try:
            seed, name = self._provider(request)
        except GatewayError as error:
            await self._error(send, request.request_id, error)
            return
        entries = await self._gateway.models.list()
        await self._send(
            send, request.request_id, {"provider": seed, "models": _models(entries, name)}
        )

    async def generate(self, request: HttpRequest, send: Send) -> None:
        """`{model, messages}` → `{provider, response: {role, model, content}}`; the model is
        taken as the named provider's model."""
        try:
            seed, name = self._provider(request)
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            model, messages = _generate_request(raw)
            chat = orjson.dumps({"model": f"{name}/{model}", "messages": messages})
            client = ClientChat.from_openai(self._dialect, parse_chat_request(chat))
            result = await run_chat(self._gateway, client, request.request_id)
            answer = _answer(result.body, model)
        except GatewayError as error:
            await self._error(send, request.request_id, error)
            return
        await self._send(send, request.request_id, {"provider": seed, "response": answer})

    def _provider(self, request: HttpRequest) -> tuple[str, str]:
        """The seed's provider name and the gateway's; 400 outside the enum or unconfigured."""
        seed = request.scope.get("path_params", {}).get("provider", "")
        name = SEED_PROVIDERS.get(seed)
        if name is None:
            raise bad_request(
                f"unsupported provider {seed!r}; one of: {', '.join(SEED_PROVIDERS)}",
                param="provider",
            )
        if name not in self._gateway.table.routes:
            raise bad_request(f"provider {seed!r} is not configured", param="provider")
        return seed, name

    async def _send(self, send: Send, request_id: str, body: Any) -> None:
        await send_bytes(send, 200, response_headers(_JSON, request_id), orjson.dumps(body))

    async def _error(self, send: Send, request_id: str, error: GatewayError) -> None:
        error = seed_status(error)
        await send_error_body(send, request_id, error, render_error(error), _JSON)


def _models(entries: list[ModelEntry], provider: str) -> list[dict[str, Any]]:
    """The provider's models by the name `generate` takes: without the `provider/` prefix."""
    prefix = f"{provider}/"
    return [
        {
            "id": entry.id.removeprefix(prefix),
            "object": "model",
            "owned_by": provider,
            "created": entry.created,
        }
        for entry in entries
        if entry.owned_by == provider
    ]


def _generate_request(raw: bytes) -> tuple[str, list[dict[str, str]]]:
    """The seed's `GenerateRequest`: a model and `{role, content}` string messages."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages is required and must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if (
            not isinstance(message, dict)
            or message.get("role") not in _ROLES
            or not isinstance(message.get("content"), str)
        ):
            raise bad_request(
                f"messages[{index}] must be {{role: system|user|assistant, content: string}}",
                param="messages",
            )
    return model, [{"role": m["role"], "content": m["content"]} for m in messages]


def _answer(body: bytes, model: str) -> dict[str, str]:
    """The first choice of the pipeline's OpenAI-dialect answer, as the seed's ResponseTokens."""
    try:
        data = orjson.loads(body)
        message = data["choices"][0]["message"]
        if not isinstance(message, dict):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        raise GatewayError(
            502, "the upstream answer has no message", type="upstream_error"
        ) from None
    content = message.get("content")
    return {
        "role": str(message.get("role") or "assistant"),
        "model": str(data.get("model") or model),
        "content": content if isinstance(content, str) else "",
    }
