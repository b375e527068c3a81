"""Client and upstream speak the same non-OpenAI dialect (Anthropic → Anthropic, Gemini →
Gemini): forward the client's body and the provider's bytes, so nothing the core model cannot
carry (prompt-cache markers, beta fields) is lost. Usage is read on the side."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

import orjson

from cloverleaf.core.chat import StreamEvent, UsageReport
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult, record_of
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import Opened
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import TransportError, UpstreamRequest


def same_dialect(client: ClientChat, target: Target) -> bool:
    return client.peek is None and client.dialect.name == target.adapter.dialect.name


def same_dialect_request(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    rewrite = target.adapter.body_rewrite
    body = client.raw
    if client.url_fields or client.body.get("model") != model or rewrite is not None:
        wire = {k: v for k, v in client.body.items() if k not in client.url_fields}
        if "model" in wire:
            wire["model"] = model
        body = orjson.dumps(rewrite(wire) if rewrite is not None else wire)
    url = route.chat_url(key, model, client.stream)
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=client.stream)


async def same_dialect_result(
    gateway: Gateway, opened: Opened, client: ClientChat, request_id: str
) -> ChatResult:
    content_type = opened.response.header("content-type") or "application/json"
    if client.stream:
        relay = _relay(gateway, opened, request_id, client.request_type)
        return ChatResult(200, content_type, opened.remote_ms, stream=relay)
    try:
        body = opened.first or b""
    finally:
        await opened.aclose()
    try:
        usage = opened.target.adapter.dialect.decode_response(body).usage
    except GatewayError:
        usage = None
    gateway.record(record_of(opened, request_id, False, usage, request_type=client.request_type))
    return ChatResult(opened.response.status, content_type, opened.remote_ms, body=body)


async def _relay(
    gateway: Gateway, opened: Opened, request_id: str, request_type: str
) -> AsyncGenerator[bytes, None]:
    """Bytes go out unchanged; a decoder reads the same bytes only to learn the usage."""
    decoder = opened.target.adapter.dialect.stream_decoder()
    usage: Usage | None = None
    status = 200
    try:
        chunk = opened.first
        while chunk is not None:
            yield chunk
            usage = _last_usage(decoder.feed, chunk) or usage
            chunk = await opened.response.next_chunk()
        usage = _last_usage(lambda _: decoder.close(), b"") or usage
    except TransportError:
        status = 502  # the client sees its stream end early, in its own framing
    finally:
        await opened.aclose()
        gateway.record(
            record_of(opened, request_id, True, usage, status, request_type=request_type)
        )


def _last_usage(step: Callable[[bytes], list[StreamEvent]], chunk: bytes) -> Usage | None:
    try:
        events = step(chunk)
    except GatewayError:  # an in-band error event: already relayed to the client as it was
        return None
    reports = [e.usage for e in events if isinstance(e, UsageReport)]
    return reports[-1] if reports else None
