"""Responses to a provider with its own Responses endpoint (OpenAI, Azure's v1 surface): the
client's bytes up, the upstream's bytes back unchanged, usage read on the way."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

import orjson

from cloverleaf.formats.openai_responses.dialect import REQUEST_TYPE
from cloverleaf.formats.openai_responses.tap import ResponsesUsageTap, body_usage
from cloverleaf.formats.sse import sse
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult, record_of
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import Opened
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import ProviderRoute, Target
from cloverleaf.transport.base import TransportError, UpstreamRequest

STREAM_REQUEST_TYPE = "responses_stream"
#: gateway-only request fields, never sent upstream
_GATEWAY_FIELDS = ("fallbacks",)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a provider serves Responses. `dated`: the path takes the key's `api-version`
    (Azure's v1 surface does not: its `model` is the deployment name)."""

    path: str
    dated: bool = True


#: providers with a Responses endpoint of their own, keyed by the spec's adapter, else its
#: name; every other provider is served by translation
ENDPOINTS = {"openai": Endpoint("/responses"), "azure": Endpoint("/v1/responses", dated=False)}


def _endpoint(route: ProviderRoute) -> Endpoint | None:
    return ENDPOINTS.get(route.spec.adapter or route.spec.name)


def forwards(target: Target) -> bool:
    """A custom provider forwards too when it names its Responses path
    (`request_path_overrides.responses`)."""
    route = target.route
    overridden = REQUEST_TYPE in route.path_overrides or STREAM_REQUEST_TYPE in route.path_overrides
    return target.adapter.byte_passthrough and (overridden or _endpoint(route) is not None)


def responses_url(route: ProviderRoute, key: UpstreamKey, stream: bool) -> str:
    kind = STREAM_REQUEST_TYPE if stream else REQUEST_TYPE
    overridden = route.overridden_url(key, kind, REQUEST_TYPE)
    if overridden is not None:
        return overridden
    endpoint = _endpoint(route)
    assert endpoint is not None, "only forwarded targets get a Responses URL"
    if endpoint.dated:
        return route.url(key, endpoint.path)
    return route.root(key) + endpoint.path


def forward_request(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    """The client's own bytes, unless the model name or a gateway-only field must change."""
    route = target.route
    model = key.upstream_model(target.model)
    body = client.raw
    if client.model != model or any(name in client.body for name in _GATEWAY_FIELDS):
        wire = {k: v for k, v in client.body.items() if k not in _GATEWAY_FIELDS}
        wire["model"] = model
        body = orjson.dumps(wire)
    url = responses_url(route, key, client.stream)
    headers = [("content-type", "application/json"), *route.extra_headers]
    if client.stream:
        headers.append(("accept", "text/event-stream"))
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=client.stream)


async def forwarded_result(
    gateway: Gateway, opened: Opened, stream: bool, request_id: str
) -> ChatResult:
    if stream:
        relay = _relay(gateway, opened, request_id)
        return ChatResult(200, "text/event-stream", opened.remote_ms, stream=relay)
    try:
        body = opened.first or b""
    finally:
        await opened.aclose()
    usage = body_usage(body)
    gateway.record(record_of(opened, request_id, False, usage, request_type=REQUEST_TYPE))
    return ChatResult(opened.response.status, "application/json", opened.remote_ms, body=body)


async def _relay(gateway: Gateway, opened: Opened, request_id: str) -> AsyncGenerator[bytes, None]:
    """Chunks go on as they arrive; an upstream failure mid-stream ends with an `error` event."""
    tap = ResponsesUsageTap()
    status = 200
    try:
        chunk = opened.first
        while chunk is not None:
            tap.feed(chunk)
            yield chunk
            chunk = await opened.response.next_chunk()
        tap.close()
    except TransportError as exc:
        status = 502
        yield _error_event(f"upstream stream failed: {exc}", tap.events)
    finally:
        await opened.aclose()
        record = record_of(opened, request_id, True, tap.usage, status, request_type=REQUEST_TYPE)
        gateway.record(record)


def _error_event(message: str, sequence_number: int) -> bytes:
    """Responses' own mid-stream error event, numbered after the last event the client saw."""
    error = {
        "type": "error",
        "sequence_number": sequence_number,
        "code": "upstream_stream_error",
        "message": message,
        "param": None,
    }
    return sse(orjson.dumps(error), "error")
