"""Chat completions through the gateway, whichever dialects the client and upstream speak."""

from __future__ import annotations

from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.passthrough import passthrough_request, passthrough_result
from cloverleaf.pipeline.raw_echo import RawEcho
from cloverleaf.pipeline.result import ChatResult
from cloverleaf.pipeline.same_dialect import (
    same_dialect,
    same_dialect_request,
    same_dialect_result,
)
from cloverleaf.pipeline.translate import translated_request, translated_result
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest


async def run_chat(gateway: Gateway, client: ClientChat, request_id: str) -> ChatResult:
    """Resolve targets, open the first that answers, and render its answer for the client.

    Each target is judged on its own: the same request may go to an OpenAI-compatible provider
    as the client's bytes and, on fallback, to another dialect by translation.
    """
    targets = [await gateway.resolve(client.model)]
    targets += [await gateway.resolve(name) for name in client.fallbacks]
    sent: list[bytes] = []  # the last body built for a provider that echoes it

    def build(target: Target, key: UpstreamKey) -> UpstreamRequest:
        request = _build(client, target, key)
        if target.route.echoes_raw:
            sent.append(request.body)
        return request

    opened = await open_upstream(targets, build, gateway.transport, gateway.rng)
    if opened.target.route.echoes_raw and client.peek is not None:  # OpenAI dialect only
        echo = RawEcho(opened.target, client.stream, sent[-1])
        result = await _result(gateway, echo.framed(opened), client, request_id)
        return echo.applied(result, opened.first)
    return await _result(gateway, opened, client, request_id)


def _build(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    if _same_bytes(client, target):
        assert client.peek is not None
        return passthrough_request(client.peek, target, key)
    if same_dialect(client, target):
        return same_dialect_request(client, target, key)
    return translated_request(client, target, key)


async def _result(
    gateway: Gateway, opened: Opened, client: ClientChat, request_id: str
) -> ChatResult:
    if _same_bytes(client, opened.target):
        assert client.peek is not None
        return await passthrough_result(gateway, opened, client.peek, request_id)
    if same_dialect(client, opened.target):
        return await same_dialect_result(gateway, opened, client, request_id)
    return await translated_result(gateway, opened, client, request_id)


def _same_bytes(client: ClientChat, target: Target) -> bool:
    adapter = target.adapter
    return client.peek is not None and adapter.byte_passthrough
