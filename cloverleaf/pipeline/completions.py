"""Legacy completions (`/v1/completions`) through the gateway.

An OpenAI-family provider or Azure gets the client's own bytes at its completions endpoint and
its bytes go back unchanged (usage read on the way); any other provider is asked for a one-turn
chat by the chat pipeline's translation, rendered back as `text_completion`. Each target is
judged on its own, so a fallback chain may mix both.
"""

from __future__ import annotations

from urllib.parse import quote

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.request import BodyRewrite, upstream_body
from cloverleaf.pipeline.chat import input_estimate, requested_max_tokens
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.passthrough import adds_stream_usage, passthrough_result
from cloverleaf.pipeline.result import ChatResult
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.pipeline.translate import translated_request, translated_result
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import ProviderRoute, Target
from cloverleaf.transport.base import UpstreamRequest

#: Bifrost's `allowed_requests` / path-override names for this operation
REQUEST_TYPE = "text_completion"
STREAM_REQUEST_TYPE = "text_completion_stream"


def _openai_path(model: str) -> str:
    return "/completions"


def _azure_path(model: str) -> str:
    return f"/deployments/{quote(model, safe='')}/completions"


#: providers whose own completions endpoint takes the client's bytes, keyed like the chat
#: adapters (the spec's adapter, else its dialect), so custom providers inherit it
FORWARD_PATHS = {"openai_chat": _openai_path, "azure": _azure_path}


async def run_completions(gateway: Gateway, client: ClientChat, request_id: str) -> ChatResult:
    """`client.peek` holds the client's bytes; `client.core()` decodes them only for targets
    served by translation."""
    client.request_type = REQUEST_TYPE

    def check(target: Target) -> None:
        _check_allowed(target.route, client.stream)
        if not forwards(target):
            client.core()  # refuse what a chat cannot do before any call

    def estimate() -> tuple[int, int | None]:
        return input_estimate(client), requested_max_tokens(client)

    async def run(targets: list[Target]) -> ChatResult:
        opened = await open_upstream(
            targets, lambda t, k: _build(client, t, k), gateway.transport, gateway.rng
        )
        if forwards(opened.target):
            assert client.peek is not None
            return await passthrough_result(
                gateway, opened, client.peek, request_id, request_type=REQUEST_TYPE
            )
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


def forwards(target: Target) -> bool:
    spec = target.route.spec
    return target.adapter.byte_passthrough and (spec.adapter or spec.dialect) in FORWARD_PATHS


def _build(client: ClientChat, target: Target, key: UpstreamKey) -> UpstreamRequest:
    if not forwards(target):
        return translated_request(client, target, key)
    peek = client.peek
    assert peek is not None, "completions clients are always peeked"
    route = target.route
    spec = route.spec
    rewrite = BodyRewrite(
        model=key.upstream_model(target.model),
        add_stream_usage=adds_stream_usage(peek, target),
        renamed=spec.renamed_params,
        dropped=spec.dropped_params,
    )
    body = upstream_body(peek, rewrite)
    url = completions_url(route, key, rewrite.model, peek.stream)
    headers = [("content-type", "application/json"), *route.extra_headers]
    if peek.stream:
        headers.append(("accept", "text/event-stream"))
    headers += auth_headers(
        spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=peek.stream)


def completions_url(route: ProviderRoute, key: UpstreamKey, model: str, stream: bool) -> str:
    """Like `ProviderRoute.chat_url`: a custom provider's path override wins."""
    kind = STREAM_REQUEST_TYPE if stream else REQUEST_TYPE
    overridden = route.overridden_url(key, kind, REQUEST_TYPE)
    if overridden is not None:
        return overridden
    spec = route.spec
    return route.url(key, FORWARD_PATHS[spec.adapter or spec.dialect](model))


def _check_allowed(route: ProviderRoute, stream: bool) -> None:
    kind = STREAM_REQUEST_TYPE if stream else REQUEST_TYPE
    if route.allowed_requests is not None and kind not in route.allowed_requests:
        raise GatewayError(
            400,
            f"provider {route.name} does not allow {kind} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )
