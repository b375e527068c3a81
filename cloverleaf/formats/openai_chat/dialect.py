"""OpenAI Chat Completions as a ChatDialect: the hub every other dialect translates through."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.openai_chat.errors import render_error, upstream_error
from cloverleaf.formats.openai_chat.from_core import request_from_core, response_from_core
from cloverleaf.formats.openai_chat.streaming import OpenAIStreamDecoder, OpenAIStreamEncoder
from cloverleaf.formats.openai_chat.to_core import request_to_core, response_to_core


class OpenAIChatDialect:
    name = "openai_chat"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> OpenAIStreamEncoder:
        return OpenAIStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error, request_type="chat_completion")

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body, "")

    def stream_decoder(self) -> OpenAIStreamDecoder:
        return OpenAIStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return upstream_error(status, body, provider)
