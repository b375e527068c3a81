"""Replicate's predictions API as a ChatDialect."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.replicate.errors import render_error, upstream_error
from cloverleaf.formats.replicate.request import request_from_core, request_to_core
from cloverleaf.formats.replicate.response import response_from_core, response_to_core
from cloverleaf.formats.replicate.streaming import ReplicateStreamDecoder, ReplicateStreamEncoder

NAME = "replicate"


class ReplicateDialect:
    """Create bodies of `{"input": {"prompt", "system_prompt", ...}}`; answers are predictions
    (read once they are terminal: the provider's follow-up polls for that) or their event
    stream. The client side speaks the same shapes, for round trips and Replicate clients."""

    name = NAME

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> ReplicateStreamEncoder:
        return ReplicateStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model, own_extra=request.source == NAME)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body)

    def stream_decoder(self) -> ReplicateStreamDecoder:
        return ReplicateStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        del headers  # problem+json says it all
        return upstream_error(status, body, provider)
