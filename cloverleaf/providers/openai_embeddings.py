"""Embeddings on the OpenAI family (`/embeddings`) and on Azure (by deployment)."""

from __future__ import annotations

from urllib.parse import quote

from cloverleaf.core.embeddings import EmbeddingRequest
from cloverleaf.formats.openai_chat import embeddings as wire
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingCall, single


def _path(model: str) -> str:
    return "/embeddings"


def _azure_path(model: str) -> str:
    return f"/deployments/{quote(model, safe='')}/embeddings"


def _openai_calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    return [EmbeddingCall(_path(model), wire.encode_request(request, model))]


def _azure_calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    # `model` stays in the body, as OpenAI clients send it: Azure goes by the deployment
    return [EmbeddingCall(_azure_path(model), wire.encode_request(request, model))]


OPENAI = EmbeddingAdapter(
    _openai_calls, single(wire.decode_response), forward_path=_path, takes_tokens=True
)
AZURE = EmbeddingAdapter(
    _azure_calls, single(wire.decode_response), forward_path=_azure_path, takes_tokens=True
)
