"""Ollama's model-metadata face (`/api/tags`, `/api/show`, `/api/version`) over the gateway's
own model list, so Ollama clients can discover what the gateway serves."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from cloverleaf import __version__
from cloverleaf.config.server import ServerSettings
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.models import ModelEntry
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes
from cloverleaf.server.respond import send_error_body

_JSON = b"application/json"


class OllamaMetaRoutes:
    def __init__(self, gateway: Gateway, settings: ServerSettings) -> None:
        self._gateway = gateway
        self._settings = settings

    async def tags(self, request: HttpRequest, send: Send) -> None:
        entries = await self._gateway.models.list()
        body = {"models": [_tag(entry) for entry in entries]}
        await send_bytes(send, 200, response_headers(_JSON, request.request_id), orjson.dumps(body))

    async def version(self, request: HttpRequest, send: Send) -> None:
        body = orjson.dumps({"version": __version__})
        await send_bytes(send, 200, response_headers(_JSON, request.request_id), body)

    async def show(self, request: HttpRequest, send: Send) -> None:
        try:
            raw = await request.body(self._settings.max_body_bytes, self._settings.read_timeout_s)
            wanted = parse_json_object(raw).get("model") or ""
            entries = {entry.id: entry for entry in await self._gateway.models.list()}
            entry = entries.get(wanted)
            if entry is None:
                raise GatewayError(404, f"model '{wanted}' not found", code="model_not_found")
        except GatewayError as error:
            body = orjson.dumps({"error": error.message})
            await send_error_body(send, request.request_id, error, body, _JSON)
            return
        show = {
            "modelfile": "",
            "parameters": "",
            "template": "",
            "details": _details(entry),
            "model_info": {},
            "capabilities": ["completion", "tools"],
            "modified_at": _iso(entry.created),
        }
        await send_bytes(send, 200, response_headers(_JSON, request.request_id), orjson.dumps(show))


def _tag(entry: ModelEntry) -> dict[str, object]:
    return {
        "name": entry.id,
        "model": entry.id,
        "modified_at": _iso(entry.created),
        "details": _details(entry),
    }


def _details(entry: ModelEntry) -> dict[str, object]:
    return {"format": "", "family": entry.owned_by, "families": [entry.owned_by]}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")
