"""The embeddings operation as a provider offers it: a small protocol of its own, next to chat.

A provider that has no entry in `registry_embeddings.EMBEDDING_ADAPTERS` does not embed, and the
gateway says so with a 400 before calling anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cloverleaf.core.embeddings import EmbeddingRequest, EmbeddingResponse, input_usage


@dataclass(frozen=True, slots=True)
class EmbeddingCall:
    """One upstream call: a path under the provider's API prefix and its JSON body."""

    path: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EmbeddingAnswer:
    """One call's 2xx answer, with the token count a provider may put in a header (Bedrock)."""

    body: bytes
    header_tokens: int | None = None


#: (core request, provider's model id) → the calls, in input order (Titan: one per text)
CallsBuilder = Callable[[EmbeddingRequest, str], list[EmbeddingCall]]
#: (answers in call order, provider's model id) → one vector per input
AnswerDecoder = Callable[[list[EmbeddingAnswer], str], EmbeddingResponse]


@dataclass(frozen=True, slots=True)
class EmbeddingAdapter:
    calls: CallsBuilder
    decode: AnswerDecoder
    #: OpenAI family: the path an OpenAI client's own body is forwarded to (model rewritten)
    forward_path: Callable[[str], str] | None = None
    #: accepts pre-tokenised input (token-id arrays); others answer 400 for it
    takes_tokens: bool = False
    #: response header holding the input token count (Bedrock InvokeModel)
    usage_header: str | None = None


def single(decode: Callable[[bytes], EmbeddingResponse]) -> AnswerDecoder:
    """For wires that answer a whole request in one call."""

    def decode_one(answers: list[EmbeddingAnswer], model: str) -> EmbeddingResponse:
        return decode(answers[0].body)

    return decode_one


def each(decode: Callable[[bytes], EmbeddingResponse]) -> AnswerDecoder:
    """For wires that may take several calls: each answer decoded, then `joined`."""

    def decode_all(answers: list[EmbeddingAnswer], model: str) -> EmbeddingResponse:
        return joined([decode(answer.body) for answer in answers])

    return decode_all


def joined(parts: list[EmbeddingResponse]) -> EmbeddingResponse:
    """Several calls' answers as one: vectors in call order, usage summed (None if none said)."""
    vectors = tuple(vector for part in parts for vector in part.vectors)
    usages = [part.usage for part in parts if part.usage is not None]
    if not usages:
        return EmbeddingResponse(vectors)
    return EmbeddingResponse(vectors, input_usage(sum(u.prompt_tokens for u in usages)))


def batches(request: EmbeddingRequest, size: int) -> list[EmbeddingRequest]:
    """The request split into requests of at most `size` texts (the provider's batch limit)."""
    texts = request.texts
    return [replace(request, texts=texts[i : i + size]) for i in range(0, len(texts), size)]
