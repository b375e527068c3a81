"""Amazon Bedrock Converse as a ChatDialect, plus where its operations live.

Bedrock puts the model id and the stream switch in the URL, not the body: upstream, callers
build the path with `converse_path`; client side, the route injects `model` and `stream` into
the body before `decode_request`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.base import ResponseHeaders
from cloverleaf.formats.bedrock_converse.errors import render_error, upstream_error
from cloverleaf.formats.bedrock_converse.from_core import request_from_core, response_from_core
from cloverleaf.formats.bedrock_converse.streaming import (
    BedrockStreamDecoder,
    BedrockStreamEncoder,
)
from cloverleaf.formats.bedrock_converse.to_core import request_to_core, response_to_core


def converse_path(model: str, stream: bool) -> str:
    """`/model/{id}/converse[-stream]`, the id encoded as botocore encodes a URI label
    (`:` → `%3A`, `/` in ARNs → `%2F`). Send and sign this same URL: SigV4 encodes it again."""
    operation = "converse-stream" if stream else "converse"
    return f"/model/{quote(model, safe='')}/{operation}"


class BedrockConverseDialect:
    name = "bedrock_converse"

    def __init__(self, provider: str = "") -> None:
        self._provider = provider

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> BedrockStreamEncoder:
        return BedrockStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body, self._provider)

    def stream_decoder(self) -> BedrockStreamDecoder:
        return BedrockStreamDecoder(self._provider)

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        """The exception name comes from `x-amzn-ErrorType` when present (the body often lacks
        it), else from the body's `__type`/`code`."""
        error_type = headers.header("x-amzn-ErrorType") if headers is not None else None
        return upstream_error(status, body, provider, error_type or None)
