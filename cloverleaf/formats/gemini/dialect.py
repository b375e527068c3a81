"""Gemini `generateContent` as a ChatDialect, for Gemini clients and Gemini upstreams."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.gemini.errors import parse_error, render_error
from cloverleaf.formats.gemini.from_core import request_from_core, response_from_core
from cloverleaf.formats.gemini.streaming import GeminiStreamDecoder, GeminiStreamEncoder
from cloverleaf.formats.gemini.to_core import request_to_core, response_to_core


class GeminiDialect:
    """The model and the stream switch live in Gemini's URL, not its body: `decode_request`
    reads `model`/`stream` keys the route injects, and `encode_request` leaves both to the
    caller (`models/{model}:generateContent` or `:streamGenerateContent?alt=sse`)."""

    name = "gemini"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> GeminiStreamEncoder:
        return GeminiStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body, "")

    def stream_decoder(self) -> GeminiStreamDecoder:
        return GeminiStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return parse_error(status, body, provider)
