"""Rerank through the gateway: Cohere's `/v2/rerank` or the Jina-style `/rerank` of vLLM and
Together, with chat's routing (keys, retries, fallbacks, virtual keys) and accounting."""

from __future__ import annotations

from dataclasses import dataclass, replace

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.registry_rerank import rerank_adapter
from cloverleaf.providers.spec_rerank import RerankAdapter, RerankRequest, RerankResponse
from cloverleaf.routing.attempts import open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

#: the custom providers' `allowed_requests` name for this operation
REQUEST_TYPE = "rerank"


@dataclass(frozen=True, slots=True)
class RerankResult:
    response: RerankResponse
    model: str
    remote_ms: float


async def run_rerank(
    gateway: Gateway, request: RerankRequest, fallbacks: tuple[str, ...], request_id: str
) -> RerankResult:
    async def run(targets: list[Target]) -> RerankResult:
        return await _run(gateway, request, request_id, targets)

    return await run_targeted(
        gateway,
        request.model,
        fallbacks,
        check=_check,
        estimate=lambda: (request.estimated_tokens(), 0),
        run=run,
        request_type=REQUEST_TYPE,
    )


def _check(target: Target) -> None:
    route = target.route
    if rerank_adapter(route.spec) is None:
        raise bad_request(
            f"provider {route.name} does not offer rerank",
            param="model",
            code="rerank_not_supported",
        )
    if route.allowed_requests is not None and REQUEST_TYPE not in route.allowed_requests:
        raise bad_request(
            f"provider {route.name} does not allow {REQUEST_TYPE} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )


def _adapter(target: Target) -> RerankAdapter:
    adapter = rerank_adapter(target.route.spec)
    assert adapter is not None, "targets are checked before any call"
    return adapter


def _build(request: RerankRequest, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    adapter = _adapter(target)
    body = orjson.dumps(adapter.encode(request, key.upstream_model(target.model)))
    url = route.overridden_url(key, REQUEST_TYPE) or route.url(key, adapter.path)
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile)


async def _run(
    gateway: Gateway, request: RerankRequest, request_id: str, targets: list[Target]
) -> RerankResult:
    opened = await open_upstream(
        targets, lambda t, k: _build(request, t, k), gateway.transport, gateway.rng
    )
    target = opened.target
    status = 500
    usage: Usage | None = None
    try:
        try:
            body = opened.first or b""
        finally:
            await opened.aclose()
        response = _checked(request, _adapter(target).decode(body))
        usage, status = response.usage, 200
        return RerankResult(response, target.model, opened.remote_ms)
    except GatewayError as error:
        status = error.status
        error.provider = error.provider or target.route.name
        raise
    finally:
        gateway.record(
            record_of(opened, request_id, False, usage, status, request_type=REQUEST_TYPE)
        )


def _checked(request: RerankRequest, response: RerankResponse) -> RerankResponse:
    """Every index names a document sent; usage always, estimated when the provider gave none."""
    count = len(request.documents)
    if any(not 0 <= r.index < count for r in response.results):
        raise GatewayError(
            502, "unreadable rerank answer: a result index out of range", type="server_error"
        )
    if response.usage is not None:
        return response
    tokens = request.estimated_tokens()
    return replace(response, usage=Usage(prompt_tokens=tokens, total_tokens=tokens))
