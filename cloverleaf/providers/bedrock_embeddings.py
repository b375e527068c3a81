"""Embeddings on Bedrock's InvokeModel, SigV4-signed like every Bedrock call: Amazon Titan
(one text per call) and Cohere's embed models (the whole batch in one call). Which wire a model
speaks is read from its id, so inference profiles (`us.cohere.embed-v4:0`) work too."""

from __future__ import annotations

from cloverleaf.core.embeddings import EmbeddingRequest, EmbeddingResponse
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.bedrock_converse import embeddings as titan
from cloverleaf.formats.cohere import embeddings as cohere
from cloverleaf.providers.cohere_embeddings import BATCH as COHERE_BATCH
from cloverleaf.providers.spec_embeddings import (
    EmbeddingAdapter,
    EmbeddingAnswer,
    EmbeddingCall,
    batches,
    joined,
)

#: Bedrock reports InvokeModel usage in headers
TOKEN_HEADER = "x-amzn-bedrock-input-token-count"
_TITAN, _COHERE = "amazon.titan-embed", "cohere.embed"


def _wire(model: str) -> str:
    for marker in (_TITAN, _COHERE):
        if marker in model:
            return marker
    raise bad_request(
        f"bedrock model {model!r} has no embeddings wire the gateway speaks; use an "
        "amazon.titan-embed-* or cohere.embed-* model",
        param="model",
        code="embeddings_not_supported",
    )


def _calls(request: EmbeddingRequest, model: str) -> list[EmbeddingCall]:
    path = titan.invoke_path(model)
    if _wire(model) == _TITAN:
        return [EmbeddingCall(path, titan.encode_titan(request, text)) for text in request.texts]
    return [
        EmbeddingCall(path, cohere.encode_request(part, None))
        for part in batches(request, COHERE_BATCH)
    ]


def _decode(answers: list[EmbeddingAnswer], model: str) -> EmbeddingResponse:
    if _wire(model) == _TITAN:
        return titan.decode_titan([answer.body for answer in answers])
    return joined([cohere.decode_response(a.body, a.header_tokens) for a in answers])


BEDROCK = EmbeddingAdapter(_calls, _decode, usage_header=TOKEN_HEADER)
