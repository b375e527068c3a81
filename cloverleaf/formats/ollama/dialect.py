"""Ollama's native API as a ChatDialect: `/api/chat` both ways, `/api/generate` for clients."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.ollama.errors import render_error, upstream_error
from cloverleaf.formats.ollama.from_core import request_from_core, response_from_core
from cloverleaf.formats.ollama.generate import (
    GenerateStreamEncoder,
    generate_request_to_core,
    generate_response_from_core,
)
from cloverleaf.formats.ollama.streaming import OllamaStreamDecoder, OllamaStreamEncoder
from cloverleaf.formats.ollama.to_core import request_to_core, response_to_core


class OllamaDialect:
    """`POST /api/chat`; remember `stream` defaults to true on this wire, both ways."""

    name = "ollama"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> OllamaStreamEncoder:
        return OllamaStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body)

    def stream_decoder(self) -> OllamaStreamDecoder:
        return OllamaStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return upstream_error(status, body, provider)


class OllamaGenerateDialect(OllamaDialect):
    """`POST /api/generate` clients. Its upstream half stays `/api/chat`: a generate call is a
    one-turn chat, and chat carries everything generate can say."""

    name = "ollama_generate"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return generate_request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return generate_response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> GenerateStreamEncoder:
        return GenerateStreamEncoder(request)
