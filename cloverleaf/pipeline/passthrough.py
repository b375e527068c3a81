"""OpenAI client → OpenAI-compatible upstream: bytes in, bytes out, usage read on the way."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.request import BodyRewrite, PeekedChat, upstream_body
from cloverleaf.formats.openai_chat.stream import SseUsageTap, error_event
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult, record_of
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.spec import StreamUsage
from cloverleaf.routing.attempts import Opened
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import TransportError, UpstreamRequest


def adds_stream_usage(chat: PeekedChat, target: Target) -> bool:
    spec = target.route.spec
    return (
        chat.stream
        and not chat.wants_stream_usage
        and spec.stream_usage is StreamUsage.STREAM_OPTIONS
    )


def passthrough_request(chat: PeekedChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    spec = route.spec
    rewrite = BodyRewrite(
        model=key.upstream_model(target.model),
        add_stream_usage=adds_stream_usage(chat, target),
        renamed=spec.renamed_params,
        dropped=spec.dropped_params,
        dropped_message_fields=spec.dropped_message_fields,
    )
    headers = [("content-type", "application/json"), *route.extra_headers]
    if chat.stream:
        headers.append(("accept", "text/event-stream"))
    url = route.chat_url(key, rewrite.model, chat.stream)
    body = upstream_body(chat, rewrite)
    headers += auth_headers(
        spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=chat.stream)


async def passthrough_result(
    gateway: Gateway,
    opened: Opened,
    chat: PeekedChat,
    request_id: str,
    request_type: str = "chat_completion",
) -> ChatResult:
    if chat.stream:
        relay = _relay(gateway, opened, chat, request_id, request_type)
        return ChatResult(200, "text/event-stream", opened.remote_ms, stream=relay)
    try:
        body = opened.first or b""
    finally:
        await opened.aclose()
    usage = _usage_of(body)
    gateway.record(record_of(opened, request_id, False, usage, request_type=request_type))
    return ChatResult(opened.response.status, "application/json", opened.remote_ms, body=body)


async def _relay(
    gateway: Gateway, opened: Opened, chat: PeekedChat, request_id: str, request_type: str
) -> AsyncGenerator[bytes, None]:
    """Pass chunks on as they arrive; an upstream failure mid-stream ends with an error event."""
    tap = SseUsageTap(hide_usage_event=adds_stream_usage(chat, opened.target))
    status = 200
    try:
        chunk = opened.first
        while chunk is not None:
            out = tap.feed(chunk)
            if out:
                yield out
            chunk = await opened.response.next_chunk()
        rest = tap.flush()
        if rest:
            yield rest
    except TransportError as exc:
        status = 502
        yield error_event(f"upstream stream failed: {exc}", code="upstream_stream_error")
    finally:
        await opened.aclose()
        record = record_of(opened, request_id, True, tap.usage, status, request_type=request_type)
        gateway.record(record)


def _usage_of(body: bytes) -> Usage | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return Usage.from_openai(parsed.get("usage")) if isinstance(parsed, dict) else None
