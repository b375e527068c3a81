"""OpenAI chat completions through the gateway: same dialect, so bytes in and bytes out."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.formats.openai_chat.request import BodyRewrite, ChatRequest, upstream_body
from cloverleaf.formats.openai_chat.stream import SseUsageTap, error_event
from cloverleaf.pipeline.gateway import Gateway, RequestRecord
from cloverleaf.providers.spec import StreamUsage
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import TransportError, UpstreamRequest

CHAT_PATH = "/chat/completions"


@dataclass(slots=True)
class ChatResult:
    """A committed upstream answer: a whole body, or a byte stream to relay."""

    status: int
    content_type: str
    remote_ms: float
    body: bytes = b""
    stream: AsyncGenerator[bytes, None] | None = None


async def proxy_chat(gateway: Gateway, chat: ChatRequest, request_id: str) -> ChatResult:
    targets = [await gateway.resolve(chat.model)]
    targets += [await gateway.resolve(name) for name in chat.fallbacks]

    def build(target: Target, key: UpstreamKey) -> UpstreamRequest:
        return _upstream_request(chat, target, key)

    opened = await open_upstream(targets, build, gateway.transport, gateway.rng)
    if chat.stream:
        relay = _relay(gateway, opened, chat, request_id)
        return ChatResult(200, "text/event-stream", opened.remote_ms, stream=relay)
    try:
        body = opened.first or b""
    finally:
        await opened.aclose()
    gateway.record(_record(opened, request_id, False, _usage_of(body)))
    return ChatResult(opened.response.status, "application/json", opened.remote_ms, body=body)


def _adds_stream_usage(chat: ChatRequest, target: Target) -> bool:
    spec = target.route.spec
    return (
        chat.stream
        and not chat.wants_stream_usage
        and spec.stream_usage is StreamUsage.STREAM_OPTIONS
    )


def _upstream_request(chat: ChatRequest, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    spec = route.spec
    rewrite = BodyRewrite(
        model=key.upstream_model(target.model),
        add_stream_usage=_adds_stream_usage(chat, target),
        renamed=spec.renamed_params,
        dropped=spec.dropped_params,
        dropped_message_fields=spec.dropped_message_fields,
    )
    headers: list[tuple[str, str]] = [("content-type", "application/json")]
    if key.secret:
        headers.append(("authorization", f"Bearer {key.secret}"))
    if chat.stream:
        headers.append(("accept", "text/event-stream"))
    headers.extend(route.extra_headers)
    return UpstreamRequest(
        "POST",
        route.url(key, CHAT_PATH),
        tuple(headers),
        upstream_body(chat, rewrite),
        route.profile,
        stream=chat.stream,
    )


async def _relay(
    gateway: Gateway, opened: Opened, chat: ChatRequest, request_id: str
) -> AsyncGenerator[bytes, None]:
    """Pass chunks on as they arrive; an upstream failure mid-stream ends with an error event."""
    tap = SseUsageTap(hide_usage_event=_adds_stream_usage(chat, opened.target))
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
        gateway.record(_record(opened, request_id, True, tap.usage, status))


def _usage_of(body: bytes) -> Usage | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return Usage.from_openai(parsed.get("usage")) if isinstance(parsed, dict) else None


def _record(
    opened: Opened, request_id: str, stream: bool, usage: Usage | None, status: int = 200
) -> RequestRecord:
    return RequestRecord(
        request_id=request_id,
        provider=opened.target.route.name,
        model=opened.target.model,
        status=status,
        stream=stream,
        remote_ms=opened.remote_ms,
        usage=usage,
    )
