"""Legacy Completions clients as a ChatDialect. Its upstream half stays OpenAI chat: a
completion served by translation is a one-turn chat (compare Ollama's `/api/generate`)."""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ChatRequest, ChatResponse
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.formats.openai_chat.errors import render_error
from cloverleaf.formats.openai_completions.request import completion_to_core
from cloverleaf.formats.openai_completions.response import (
    CompletionStreamEncoder,
    completion_from_core,
)


class OpenAICompletionsDialect(OpenAIChatDialect):
    name = "openai_completions"

    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        return completion_to_core(body)

    def encode_response(self, response: ChatResponse) -> bytes:
        return completion_from_core(response)

    def stream_encoder(self, request: ChatRequest) -> CompletionStreamEncoder:  # type: ignore[override]
        return CompletionStreamEncoder(request)

    def render_error(self, error: GatewayError) -> bytes:
        return render_error(error, request_type="text_completion")
