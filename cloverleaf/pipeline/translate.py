"""Client and upstream speak different dialects: decode to core, encode for the other side."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import replace

import orjson

from cloverleaf.core.chat import StreamEvent, StreamStart, UsageReport, coalesce
from cloverleaf.core.errors import GatewayError
from cloverleaf.core.usage import Usage
from cloverleaf.formats.base import StreamEncoder
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult, record_of
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import Opened
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import TransportError, UpstreamRequest


def translated_request(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    adapter = target.adapter
    wire = adapter.dialect.encode_request(client.core(), model)
    body = orjson.dumps(adapter.body_rewrite(wire) if adapter.body_rewrite else wire)
    url = route.chat_url(key, model, client.stream)
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += adapter.call_headers(client.stream) if adapter.call_headers else ()
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=client.stream)


async def translated_result(
    gateway: Gateway, opened: Opened, client: ClientChat, request_id: str
) -> ChatResult:
    upstream = opened.target.adapter.dialect
    if not client.stream:
        try:
            body = opened.first or b""
        finally:
            await opened.aclose()
        try:
            response = upstream.decode_response(body)
        except GatewayError as error:
            error.provider = error.provider or opened.target.route.name
            raise
        response = replace(
            response,
            id=response.id or f"gen-{request_id}",
            model=response.model or opened.target.model,
        )
        kind = client.request_type
        gateway.record(record_of(opened, request_id, False, response.usage, request_type=kind))
        answer = client.dialect.encode_response(response)
        return ChatResult(200, "application/json", opened.remote_ms, body=answer)
    encoder = client.dialect.stream_encoder(client.core())
    stamped = _Stamped(encoder, request_id, opened.target.model)
    relay = _relay(gateway, opened, stamped, request_id, client.request_type)
    return ChatResult(200, encoder.content_type, opened.remote_ms, stream=relay)


async def _relay(
    gateway: Gateway, opened: Opened, encoder: StreamEncoder, request_id: str, request_type: str
) -> AsyncGenerator[bytes, None]:
    """Upstream bytes → core events → client bytes, chunk by chunk, in constant memory."""
    decoder = opened.target.adapter.dialect.stream_decoder()
    usage: list[Usage] = []
    status = 200
    held = b""  # after the wire's end marker: joined with the closing events, one write
    try:
        chunk = opened.first
        while chunk is not None:
            out = held + _encode(encoder, decoder.feed(chunk), usage)
            held = b""
            if decoder.finished:
                held = out
            elif out:
                yield out
            chunk = await opened.response.next_chunk()
        yield held + _encode(encoder, decoder.close(), usage) + encoder.close()
    except GatewayError as error:
        status = error.status
        yield held + encoder.error(error)
    except TransportError as exc:
        status = 502
        failure = GatewayError(502, f"upstream stream failed: {exc}", type="server_error")
        yield held + encoder.error(failure)
    finally:
        await opened.aclose()
        last = usage[-1] if usage else None
        gateway.record(record_of(opened, request_id, True, last, status, request_type=request_type))


def _encode(encoder: StreamEncoder, events: list[StreamEvent], usage: list[Usage]) -> bytes:
    parts = []
    for event in coalesce(events) if len(events) > 1 else events:
        if isinstance(event, UsageReport):
            usage.append(event.usage)
        parts.append(encoder.encode(event))
    return b"".join(parts)


class _Stamped:
    """Gives a stream the id and model its provider's wire did not carry (Ollama, Bedrock, ...)."""

    def __init__(self, encoder: StreamEncoder, request_id: str, model: str) -> None:
        self._encoder = encoder
        self._id = f"gen-{request_id}"
        self._model = model
        self.content_type = encoder.content_type

    def encode(self, event: StreamEvent) -> bytes:
        if isinstance(event, StreamStart) and not (event.id and event.model):
            event = replace(event, id=event.id or self._id, model=event.model or self._model)
        return self._encoder.encode(event)

    def close(self) -> bytes:
        return self._encoder.close()

    def error(self, error: GatewayError) -> bytes:
        return self._encoder.error(error)
