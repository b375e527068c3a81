"""LLM Proxy's `/v1/{path}` pass-through, upstream side: which provider and key, what is sent.

The call goes through `open_upstream`, so the provider's key choice, retries, concurrency limit
and any per-request key (a project's own upstream key) apply as on every other route. Upstream
client errors (4xx other than the retryable ones) are the answer the client asked for, not a
failure: they come back byte for byte instead of being re-rendered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.enforce_access import config_for, forbidden
from cloverleaf.governance.enforce_context import CURRENT
from cloverleaf.pipeline.count_tokens import CHARS_PER_TOKEN
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.retry import RETRYABLE_STATUSES
from cloverleaf.routing.table import ProviderRoute, Target
from cloverleaf.transport.base import Transport, UpstreamRequest, UpstreamResponse

#: the provider LLM Proxy forwards to (its seed is an OpenAI proxy)
PROVIDER = "openai"
#: client headers that mean something to the upstream API; never credentials or cookies
FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "openai-beta",
    "openai-organization",
    "openai-project",
    "idempotency-key",
)
#: only a JSON body this small is read for its `model` (the key choice may depend on it)
_PEEK_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ProxyCall:
    """One pass-through request, already confined (see `proxy_path`)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(slots=True)
class Forwarded:
    opened: Opened
    #: the upstream's status (a passed-through 4xx included)
    status: int


async def forward(gateway: Gateway, call: ProxyCall) -> Forwarded:
    """Open the upstream response (its first chunk read); raise the error the client gets."""
    target = _target(gateway, _model_of(call))
    governed, enforcer = CURRENT.get(), gateway.enforcer
    if governed is not None and enforcer is not None:
        # request and token limits count pass-through too; the dispatcher releases what is
        # left of the reservation when no record settled it
        await enforcer.reserve(governed, [target], math.ceil(len(call.body) / CHARS_PER_TOKEN), 1)
    opened = await open_upstream(
        [target],
        lambda t, key: _request(t.route, key, call),
        _KeepClientErrors(gateway.transport),
        gateway.rng,
    )
    response = opened.response
    status = response.real_status if isinstance(response, _Answered) else response.status
    return Forwarded(opened, status)


def forwarded_headers(headers: Mapping[bytes, bytes]) -> tuple[tuple[str, str], ...]:
    wanted = ((name, headers.get(name.encode())) for name in FORWARDED_REQUEST_HEADERS)
    return tuple((name, value.decode("latin-1")) for name, value in wanted if value is not None)


def _target(gateway: Gateway, model: str) -> Target:
    route = gateway.table.routes.get(PROVIDER)
    if route is None:
        raise GatewayError(
            503,
            f"pass-through needs the {PROVIDER!r} provider, which is not configured",
            type="server_error",
            code="provider_not_configured",
        )
    governed = CURRENT.get()
    if governed is not None:  # a virtual key goes only to a provider it may use
        config = config_for(governed.key, PROVIDER)
        if config is None:
            raise forbidden(
                f"virtual key {governed.key.name!r} may not use provider {PROVIDER!r}",
                code="provider_not_allowed",
            )
        if model and config.allowed_models and model not in config.allowed_models:
            raise forbidden(f"virtual key {governed.key.name!r} may not use model {model!r}")
        if config.key_ids:
            route = route.pinned(frozenset(config.key_ids))
    return Target(route, model)


def _model_of(call: ProxyCall) -> str:
    """The body's `model`, when it is a small JSON object that names one; else ''."""
    content_type = dict(call.headers).get("content-type", "")
    if not call.body or len(call.body) > _PEEK_LIMIT or "json" not in content_type.lower():
        return ""
    try:
        body = orjson.loads(call.body)
    except orjson.JSONDecodeError:
        return ""
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else ""


def _request(route: ProviderRoute, key: UpstreamKey, call: ProxyCall) -> UpstreamRequest:
    url = f"{route.root(key)}/{call.path}"
    if call.query:
        url += "?" + call.query
    headers = [*call.headers, *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method=call.method, url=url, headers=headers, body=call.body
    )
    # streamed whatever the answer turns out to be: SSE and large files go on as they arrive
    return UpstreamRequest(call.method, url, tuple(headers), call.body, route.profile, stream=True)


class _KeepClientErrors:
    """The shared transport, with non-retryable upstream 4xx handed back as answers."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        response = await self._inner.send(request)
        if 400 <= response.status < 500 and response.status not in RETRYABLE_STATUSES:
            return _Answered(response)
        return response

    async def aclose(self) -> None:  # the shared transport is the gateway's to close
        return None


class _Answered:
    """An upstream 4xx that `open_upstream` must treat as opened; `real_status` is what the
    client gets."""

    def __init__(self, response: UpstreamResponse) -> None:
        self._response = response
        self.real_status = response.status
        self.status = 200

    def header(self, name: str) -> str | None:
        return self._response.header(name)

    async def read(self) -> bytes:
        return await self._response.read()

    async def next_chunk(self) -> bytes | None:
        return await self._response.next_chunk()

    async def aclose(self) -> None:
        await self._response.aclose()
