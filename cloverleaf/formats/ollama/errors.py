"""Ollama errors are a bare string: `{"error": "..."}`, with the meaning carried by the status."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import default_type


def render_error(error: GatewayError) -> bytes:
    """What Ollama clients (the official SDKs read `error` as a string) expect to parse."""
    return orjson.dumps({"error": error.message})


def upstream_error(status: int, body: bytes, provider: str) -> GatewayError:
    """Ollama sends `{"error": "text"}`; its cloud and proxies in front of it may send an
    OpenAI-style object or plain text, so take whichever is there."""
    message = _message(body)
    return GatewayError(
        status,
        message or f"upstream returned HTTP {status}",
        type=default_type(status),
        code="model_not_found" if status == 404 else None,
        provider=provider,
    )


def stream_error(value: Any, provider: str = "") -> GatewayError:
    """An `{"error": ...}` line inside a 200 stream: the model failed while running."""
    message = value.get("message") if isinstance(value, dict) else value
    return GatewayError(
        502,
        str(message) if message else "the upstream reported an error mid-stream",
        type="server_error",
        provider=provider or None,
    )


def _message(body: bytes) -> str | None:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:500] or None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if error else None
