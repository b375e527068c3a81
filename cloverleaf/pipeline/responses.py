"""The Responses API (`/v1/responses`) through the gateway.

OpenAI and Azure get the client's own bytes at their Responses endpoint and their bytes go back
unchanged (responses_forward.py); any other provider is asked for a chat by the chat pipeline's
translation, rendered back as a Responses object or event stream by the client's dialect. Each
target is judged on its own, so a fallback chain may mix both.
"""

from __future__ import annotations

import math

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_responses.dialect import REQUEST_TYPE
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.count_tokens import CHARS_PER_TOKEN
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.responses_forward import (
    STREAM_REQUEST_TYPE,
    forward_request,
    forwarded_result,
    forwards,
)
from cloverleaf.pipeline.result import ChatResult
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.pipeline.translate import translated_request, translated_result
from cloverleaf.routing.attempts import open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import ProviderRoute, Target
from cloverleaf.transport.base import UpstreamRequest


async def run_responses(gateway: Gateway, client: ClientChat, request_id: str) -> ChatResult:
    """`client.raw` holds the client's bytes; `client.core()` decodes them only for targets
    served by translation (and refuses there what a chat cannot do, before any call)."""
    client.request_type = REQUEST_TYPE

    def check(target: Target) -> None:
        _check_allowed(target.route, client.stream)
        if not forwards(target):
            client.core()

    def estimate() -> tuple[int, int | None]:
        limit = client.body.get("max_output_tokens")
        bound = limit if isinstance(limit, int) and not isinstance(limit, bool) else None
        return math.ceil(len(client.raw) / CHARS_PER_TOKEN), bound

    async def run(targets: list[Target]) -> ChatResult:
        opened = await open_upstream(
            targets, lambda t, k: _build(client, t, k), gateway.transport, gateway.rng
        )
        if forwards(opened.target):
            return await forwarded_result(gateway, opened, client.stream, request_id)
        return await translated_result(gateway, opened, client, request_id)

    return await run_targeted(
        gateway,
        client.model,
        client.fallbacks,
        check=check,
        estimate=estimate,
        run=run,
        request_type=REQUEST_TYPE,
    )


def _build(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    if forwards(target):
        return forward_request(client, target, key)
    return translated_request(client, target, key)


def _check_allowed(route: ProviderRoute, stream: bool) -> None:
    kind = STREAM_REQUEST_TYPE if stream else REQUEST_TYPE
    if route.allowed_requests is not None and kind not in route.allowed_requests:
        raise GatewayError(
            400,
            f"provider {route.name} does not allow {kind} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )
