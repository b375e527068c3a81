"""Cohere v2 chat as a ChatDialect: Cohere SDK clients in, Command models as an upstream.

Where the worlds differ, each module says what it chose: `from_core` (forced tools, tool plans,
thinking budgets), `to_core` (tool plans read as text, citations dropped), `wire` (which token
counts are read), `errors` (Cohere's 498/499 statuses).
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.cohere.errors import render_error, upstream_error
from cloverleaf.formats.cohere.from_core import request_from_core, response_from_core
from cloverleaf.formats.cohere.streaming import CohereStreamDecoder, CohereStreamEncoder
from cloverleaf.formats.cohere.to_core import request_to_core, response_to_core


class CohereDialect:
    name = "cohere"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> CohereStreamEncoder:
        return CohereStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body, self.name)

    def stream_decoder(self) -> CohereStreamDecoder:
        return CohereStreamDecoder(self.name)

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return upstream_error(status, body, provider)
