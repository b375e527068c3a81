"""Image generation (`/v1/images/generations`) through the gateway, on whichever provider serves.

Same routing as chat (keys, retries, fallbacks in `open_upstream`) and the same governance, with
the images asked for reserved as units. OpenAI and Azure get the client's own bytes (model
rewritten) and their answer goes back as it came; every other provider gets the request in its
own wire and its answer is rendered in OpenAI's shape. A wire that makes one image per call
(Gemini's image models, Stability, Fireworks) makes the first call through the fallback chain
and the rest on the provider that answered it, side by side.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.pipeline.targets import follow_up_calls, run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.images.registry import route_image_adapter
from cloverleaf.providers.images.spec import (
    Forwarded,
    ImageAdapter,
    ImageAnswer,
    ImageRequest,
    Translated,
)
from cloverleaf.providers.images.wire import ClientImages, forwarded_body, forwarded_usage, render
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

#: Bifrost's request type (custom providers' `allowed_requests`, pricing, logs)
REQUEST_TYPE = "image_generation"
#: calls of one multi-call request in flight at once (the provider's limiter still applies)
_PARALLEL_CALLS = 4


@dataclass(frozen=True, slots=True)
class ImagesResult:
    """OpenAI's answer: the provider's own bytes, or the translated answer rendered."""

    body: bytes
    model: str
    remote_ms: float


async def run_images(gateway: Gateway, client: ClientImages, request_id: str) -> ImagesResult:
    request = client.request

    async def run(targets: list[Target]) -> ImagesResult:
        return await _run(gateway, client, request_id, targets)

    return await run_targeted(
        gateway,
        request.model,
        client.fallbacks,
        check=lambda target: _check(target, request),
        # the prompt is the input; the images asked for are the units a price per image bills
        estimate=lambda: ((len(request.prompt) + 3) // 4, None),
        run=run,
        request_type=REQUEST_TYPE,
        units=lambda: Usage(images=request.n),
    )


def _check(target: Target, request: ImageRequest) -> None:
    """Refuse before any call what the target cannot do: a clear 400, never an upstream 404."""
    route = target.route
    adapter = route_image_adapter(route)
    if adapter is None:
        raise bad_request(
            f"provider {route.name} does not offer image generation",
            param="model",
            code="images_not_supported",
        )
    if route.allowed_requests is not None and REQUEST_TYPE not in route.allowed_requests:
        raise bad_request(
            f"provider {route.name} does not allow {REQUEST_TYPE} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )
    if isinstance(adapter, Translated):
        adapter.calls(request, target.model)  # raises the 400 naming a parameter it lacks


def _adapter(target: Target) -> ImageAdapter:
    adapter = route_image_adapter(target.route)
    assert adapter is not None, "targets are checked before any call"
    return adapter


def _build(client: ClientImages, target: Target, key: UpstreamKey, index: int) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    adapter = _adapter(target)
    headers = [("content-type", "application/json"), *route.extra_headers]
    if isinstance(adapter, Forwarded):
        body, path = forwarded_body(client, model), adapter.path(model)
    else:
        call = adapter.calls(client.request, model)[index]
        body, path = orjson.dumps(call.body), call.path
        if call.accept:
            headers.append(("accept", call.accept))
    url = route.overridden_url(key, REQUEST_TYPE) or route.url(key, path)
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile)


async def _run(
    gateway: Gateway, client: ClientImages, request_id: str, targets: list[Target]
) -> ImagesResult:
    opened = await open_upstream(
        targets, lambda t, k: _build(client, t, k, 0), gateway.transport, gateway.rng
    )
    target = opened.target
    status, usage, remote_ms = 500, None, opened.remote_ms
    try:
        adapter = _adapter(target)
        first = await _read(opened)
        if isinstance(adapter, Forwarded):
            usage, status = forwarded_usage(first.body), 200
            return ImagesResult(first.body, target.model, remote_ms)
        rest = await _rest(gateway, client, target, adapter, opened.key)
        remote_ms += max((ms for _, ms in rest), default=0.0)  # the rest run side by side
        model = opened.key.upstream_model(target.model)
        response = adapter.decode([first, *(answer for answer, _ in rest)], model)
        # images are always counted; tokens only where the provider reports them
        usage = replace(response.usage or Usage(), images=len(response.images))
        body = render(response, int(time.time()), client.request.response_format)
        status = 200
        return ImagesResult(body, target.model, remote_ms)
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


async def _rest(
    gateway: Gateway,
    client: ClientImages,
    target: Target,
    adapter: Translated,
    key: UpstreamKey,
) -> list[tuple[ImageAnswer, float]]:
    """The calls after the first, on the provider that answered it."""
    count = len(adapter.calls(client.request, key.upstream_model(target.model)))

    def build(t: Target, k: UpstreamKey, index: int) -> UpstreamRequest:
        return _build(client, t, k, index)

    return await follow_up_calls(gateway, target, count, build, _read, parallel=_PARALLEL_CALLS)


async def _read(opened: Opened) -> ImageAnswer:
    try:
        kind = opened.response.header("content-type") or "application/json"
        return ImageAnswer(opened.first or b"", kind)
    finally:
        await opened.aclose()
