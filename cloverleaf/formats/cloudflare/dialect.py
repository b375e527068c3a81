"""Workers AI's native run API as a ChatDialect, plus the one path helper its adapter needs."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.cloudflare.errors import render_error, upstream_error
from cloverleaf.formats.cloudflare.request import request_from_core, request_to_core
from cloverleaf.formats.cloudflare.response import response_from_core, response_to_core
from cloverleaf.formats.cloudflare.streaming import (
    CloudflareStreamDecoder,
    CloudflareStreamEncoder,
)

NAME = "cloudflare_run"


def run_path(account_id: str, model: str, stream: bool) -> str:
    """The run path below `/client/v4`. The model id (`@cf/meta/...`) goes in unencoded, as
    Cloudflare routes on its slashes; `stream` travels in the body, so it never changes the path
    (kept in the signature so adapters need not know that)."""
    del stream
    return f"/accounts/{account_id}/ai/run/{model}"


class CloudflareRunDialect:
    """`POST /client/v4/accounts/{account_id}/ai/run/{model}`: the model is in the path, answers
    come in the v4 envelope, streams are SSE of `{"response": ...}` pieces."""

    name = NAME

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> CloudflareStreamEncoder:
        return CloudflareStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model, own_extra=request.source == NAME)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body)

    def stream_decoder(self) -> CloudflareStreamDecoder:
        return CloudflareStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return upstream_error(status, body, provider)
