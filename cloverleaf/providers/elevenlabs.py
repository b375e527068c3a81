"""ElevenLabs: text-to-speech and speech-to-text only (see elevenlabs_audio.py for the wire).

Every provider has a chat adapter, which routing uses for errors and model lists; ElevenLabs'
refuses any chat before a call with a 400 instead of sending something it cannot answer, and
reads ElevenLabs' error bodies: `{"detail": {"status", "message"}}`, or FastAPI's validation
list `{"detail": [{"loc", "msg", "type"}]}` on a 422.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import ChatRequest
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.errors import default_type
from cloverleaf.providers.chat_adapters import ChatAdapter, listed_names
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

NAME = "elevenlabs"

SPEC = ProviderSpec(
    NAME,
    "https://api.elevenlabs.io",
    api_prefix="/v1",
    dialect=NAME,
    auth=AuthStyle.XI_API_KEY,
)


class ElevenLabsDialect(OpenAIChatDialect):
    """Errors in ElevenLabs' shape; chat refused (ElevenLabs has no chat to send it to)."""

    name = NAME

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        raise GatewayError(
            400,
            "ElevenLabs serves audio only: use /v1/audio/speech or /v1/audio/transcriptions",
            param="model",
            code="operation_not_supported",
        )

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        message, code, param = _fields(body)
        return GatewayError(
            status,
            message or f"upstream returned HTTP {status}",
            type=default_type(status),
            code=code,
            param=param,
            provider=provider,
        )


def _fields(body: bytes) -> tuple[str | None, str | None, str | None]:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:500] or None, None, None
    detail = data.get("detail") if isinstance(data, dict) else None
    if isinstance(detail, str):
        return detail, None, None
    if isinstance(detail, dict):
        message, status = detail.get("message"), detail.get("status")
        return (
            message if isinstance(message, str) else None,
            status if isinstance(status, str) else None,
            None,
        )
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = first.get("loc")
        param = str(loc[-1]) if isinstance(loc, list) and loc else None
        message = first.get("msg")
        return (message if isinstance(message, str) else None), first.get("type"), param
    return None, None, None


def _no_chat_path(model: str, stream: bool) -> str:
    return "/text-to-speech"  # never reached: encode_request refuses first


#: `GET /v1/models` answers a bare array of `{"model_id", ...}`
ADAPTER = ChatAdapter(
    ElevenLabsDialect(),
    _no_chat_path,
    parse_models=listed_names("models", "model_id"),
)
