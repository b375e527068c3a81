"""Chat completions through the gateway, whichever dialects the client and upstream speak."""

from __future__ import annotations

import math

from cloverleaf.governance.enforce_context import CURRENT, GovernedRequest
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.count_tokens import CHARS_PER_TOKEN
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
    as the client's bytes and, on fallback, to another dialect by translation. A request with a
    virtual key goes only where the key allows, after its reservation was granted.
    """
    governed = CURRENT.get()
    if governed is None:
        targets = [await gateway.resolve(client.model)]
        targets += [await gateway.resolve(name) for name in client.fallbacks]
        return await _run(gateway, client, request_id, targets)
    return await _governed(gateway, client, request_id, governed)


async def _governed(
    gateway: Gateway, client: ClientChat, request_id: str, governed: GovernedRequest
) -> ChatResult:
    enforcer, accounting = gateway.enforcer, gateway.accounting
    assert enforcer is not None and accounting is not None, "a governed request needs both"
    targets = await enforcer.targets(
        governed, gateway.table, gateway.resolve, client.model, client.fallbacks, rng=gateway.rng
    )
    await enforcer.reserve(governed, targets, input_estimate(client), requested_max_tokens(client))
    try:
        return await _run(gateway, client, request_id, targets)
    except BaseException:
        accounting.close(governed)  # nothing reached the upstream's meter: refund
        raise


def input_estimate(client: ClientChat) -> int:
    """Input tokens, over-estimated from the body's size (JSON syntax counts too): the
    reservation is a worst case and settles to the real count."""
    raw = client.peek.raw if client.peek is not None else client.raw
    return math.ceil(len(raw) / CHARS_PER_TOKEN)


def requested_max_tokens(client: ClientChat) -> int | None:
    if client.peek is not None:
        body = client.peek.body
        for name in ("max_completion_tokens", "max_tokens"):
            value = body.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
        return None
    return client.core().max_tokens


async def _run(
    gateway: Gateway, client: ClientChat, request_id: str, targets: list[Target]
) -> ChatResult:
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
