"""Anthropic Messages as a ChatDialect: Anthropic SDK clients in, Claude as an upstream.

Choices this dialect makes where the two worlds differ (details in each module):
- JSON Schema output goes out as `output_config.format` (structured outputs, newer Claude
  models), not as a forced tool: the answer then stays plain text, and decoding needs no memory
  of the request. JSON mode without a schema becomes a system-prompt instruction.
- Reasoning effort becomes a thinking budget (low 1024, medium 4096, high 16384), capped below
  an explicit `max_tokens`; without one, the budget is added on top of the 4096 default.
- Temperature is clamped to 0-1; seed and penalties are dropped; `n`, logprobs, logit_bias and
  audio output are refused with a 400 naming the parameter.
- A tool call's thought signature (Gemini) is shown to Anthropic clients inside the tool_use id
  (`<id>__tsig_<base64url>`, call_ids.py) and split off again when the client sends it back.
- Cache writes are `cache_creation_input_tokens`, kept out of `input_tokens` both ways.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.anthropic.errors import render_error, upstream_error
from cloverleaf.formats.anthropic.from_core import request_from_core, response_from_core
from cloverleaf.formats.anthropic.streaming import AnthropicStreamDecoder, AnthropicStreamEncoder
from cloverleaf.formats.anthropic.to_core import request_to_core, response_to_core
from cloverleaf.formats.base import ResponseHeaders


class AnthropicDialect:
    name = "anthropic"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return request_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> AnthropicStreamEncoder:
        return AnthropicStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error)

    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        return request_from_core(request, model)

    def decode_response(self, body: bytes) -> ChatResponse:
        return response_to_core(body)

    def stream_decoder(self) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder()

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        return upstream_error(status, body, provider)
