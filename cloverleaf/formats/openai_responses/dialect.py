"""Responses clients as a ChatDialect. Its upstream half stays OpenAI chat (an answer served by
translation comes from some provider's chat API); its client half reads Responses requests and
writes Responses objects and named-event streams.

A Responses object repeats the request's settings, which a ChatResponse does not carry: one
dialect value is made per request (`for_request`) holding them.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.formats.openai_responses.request import DIALECT, responses_to_core
from cloverleaf.formats.openai_responses.response import Echo, response_from_core
from cloverleaf.formats.openai_responses.streaming import ResponsesStreamEncoder

#: Bifrost's request type for this operation (records, pricing scopes, `allowed_requests`)
REQUEST_TYPE = "responses"


class OpenAIResponsesDialect(OpenAIChatDialect):
    name = DIALECT

    def __init__(self, echo: Echo | None = None) -> None:
        self.echo = echo or Echo()

    @classmethod
    def for_request(
        cls, body: dict[str, Any], created_at: int, fallback_id: str = ""
    ) -> OpenAIResponsesDialect:
        return cls(Echo.of(body, created_at, fallback_id))

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return responses_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return response_from_core(response, self.echo)

    def stream_encoder(self, request: ChatRequest) -> ResponsesStreamEncoder:  # type: ignore[override]
        return ResponsesStreamEncoder(request, self.echo)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error, request_type=REQUEST_TYPE)
