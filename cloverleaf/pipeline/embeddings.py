"""Embeddings through the gateway, whichever face the client used and whichever provider serves.

Same routing as chat (keys, retries, fallbacks in `open_upstream`). An OpenAI client in front of
an OpenAI-family provider has its bytes forwarded and the provider's bytes returned; every other
pair goes through the core model. A wire that needs several calls for one request (Titan: one
text per call) makes the first call through the fallback chain and the rest on the provider that
answered it, so all vectors come from one model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

from cloverleaf.core.embeddings import (
    EmbeddingRequest,
    EmbeddingResponse,
    input_usage,
    unreadable_answer,
)
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.embeddings import PeekedEmbedding, forwarded_body
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.pipeline.targets import follow_up_calls, run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.registry_embeddings import embedding_adapter
from cloverleaf.providers.spec_embeddings import EmbeddingAdapter, EmbeddingAnswer, EmbeddingCall
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

#: the custom providers' `allowed_requests` name for this operation
REQUEST_TYPE = "embedding"
#: calls of one multi-call request in flight at once (the provider's limiter still applies)
_PARALLEL_CALLS = 8


@dataclass(frozen=True, slots=True)
class ClientEmbedding:
    """`peek` is set for OpenAI clients, whose bytes may go to OpenAI-family providers as-is."""

    request: EmbeddingRequest
    fallbacks: tuple[str, ...] = ()
    peek: PeekedEmbedding | None = None


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    """Either the provider's own OpenAI-dialect bytes (`forwarded`) or a decoded response."""

    remote_ms: float
    model: str
    response: EmbeddingResponse | None = None
    forwarded: bytes | None = None


async def run_embeddings(
    gateway: Gateway, client: ClientEmbedding, request_id: str
) -> EmbeddingResult:
    async def run(targets: list[Target]) -> EmbeddingResult:
        return await _run(gateway, client, request_id, targets)

    return await run_targeted(
        gateway,
        client.request.model,
        client.fallbacks,
        check=lambda target: _check(target, client.request),
        # embeddings produce no output: reserved and priced at their input alone
        estimate=lambda: (client.request.estimated_tokens(), 0),
        run=run,
        request_type=REQUEST_TYPE,
    )


async def _run(
    gateway: Gateway, client: ClientEmbedding, request_id: str, targets: list[Target]
) -> EmbeddingResult:
    opened = await open_upstream(
        targets, lambda t, k: _build(client, t, k, 0), gateway.transport, gateway.rng
    )
    target = opened.target
    status = 500
    usage: Usage | None = None
    remote_ms = opened.remote_ms
    try:
        if _forwards(client, target):
            body = await _read(opened)
            # a server that leaves usage out is still accounted for, by estimate
            usage = _openai_usage(body) or input_usage(client.request.estimated_tokens())
            status = 200
            return EmbeddingResult(remote_ms, target.model, forwarded=body)
        answers = [_answer(target, opened, await _read(opened))]
        rest = await _rest(gateway, client, target, opened.key)
        answers += [answer for answer, _ in rest]
        remote_ms += max((ms for _, ms in rest), default=0.0)  # the rest run side by side
        response = settled(client.request, _decode(target, answers, opened.key))
        usage, status = response.usage, 200
        return EmbeddingResult(remote_ms, target.model, response=response)
    except GatewayError as error:
        status = error.status
        error.provider = error.provider or target.route.name
        raise
    finally:
        gateway.record(
            record_of(
                opened,
                request_id,
                False,
                usage,
                status,
                request_type=REQUEST_TYPE,
                remote_ms=remote_ms,
            )
        )


def settled(request: EmbeddingRequest, response: EmbeddingResponse) -> EmbeddingResponse:
    """One vector per input, and usage always: estimated when the provider reports none."""
    if len(response.vectors) != request.count:
        raise unreadable_answer(f"{len(response.vectors)} vectors for {request.count} inputs")
    if response.usage is not None:
        return response
    return replace(response, usage=input_usage(request.estimated_tokens()))


def _check(target: Target, request: EmbeddingRequest) -> None:
    """Refuse before any call what the target cannot do: a clear 400, never an upstream 404."""
    route = target.route
    adapter = embedding_adapter(route.spec)
    if adapter is None:
        raise bad_request(
            f"provider {route.name} does not offer embeddings",
            param="model",
            code="embeddings_not_supported",
        )
    if route.allowed_requests is not None and REQUEST_TYPE not in route.allowed_requests:
        raise bad_request(
            f"provider {route.name} does not allow {REQUEST_TYPE} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )
    if request.tokens and not adapter.takes_tokens:
        raise bad_request(
            f"provider {route.name} cannot embed token-id input; send text",
            param="input",
            code="tokens_not_supported",
        )


def _adapter(target: Target) -> EmbeddingAdapter:
    adapter = embedding_adapter(target.route.spec)
    assert adapter is not None, "targets are checked before any call"
    return adapter


def _forwards(client: ClientEmbedding, target: Target) -> bool:
    return client.peek is not None and _adapter(target).forward_path is not None


def _calls(client: ClientEmbedding, target: Target, key: UpstreamKey) -> list[EmbeddingCall]:
    return _adapter(target).calls(client.request, key.upstream_model(target.model))


def _build(
    client: ClientEmbedding, target: Target, key: UpstreamKey, index: int
) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    adapter = _adapter(target)
    if _forwards(client, target):
        assert client.peek is not None and adapter.forward_path is not None
        body = forwarded_body(client.peek, model)
        path = adapter.forward_path(model)
    else:
        call = _calls(client, target, key)[index]
        body, path = orjson.dumps(call.body), call.path
    url = route.overridden_url(key, REQUEST_TYPE) or route.url(key, path)
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile)


async def _rest(
    gateway: Gateway, client: ClientEmbedding, target: Target, key: UpstreamKey
) -> list[tuple[EmbeddingAnswer, float]]:
    """The calls after the first, on the provider that answered it."""

    def build(t: Target, k: UpstreamKey, index: int) -> UpstreamRequest:
        return _build(client, t, k, index)

    async def read(opened: Opened) -> EmbeddingAnswer:
        return _answer(target, opened, await _read(opened))

    count = len(_calls(client, target, key))
    return await follow_up_calls(gateway, target, count, build, read, parallel=_PARALLEL_CALLS)


async def _read(opened: Opened) -> bytes:
    try:
        return opened.first or b""
    finally:
        await opened.aclose()


def _answer(target: Target, opened: Opened, body: bytes) -> EmbeddingAnswer:
    header = _adapter(target).usage_header
    value = opened.response.header(header) if header else None
    return EmbeddingAnswer(body, int(value) if value and value.isdigit() else None)


def _openai_usage(body: bytes) -> Usage | None:
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return Usage.from_openai(parsed.get("usage")) if isinstance(parsed, dict) else None


def _decode(target: Target, answers: list[EmbeddingAnswer], key: UpstreamKey) -> EmbeddingResponse:
    try:
        return _adapter(target).decode(answers, key.upstream_model(target.model))
    except GatewayError as error:
        error.provider = error.provider or target.route.name
        raise
