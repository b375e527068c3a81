"""OpenAI's Files and Batches APIs, forwarded to a provider that has them: OpenAI itself, Azure
OpenAI (`/openai/files?api-version=...`), or a custom provider built on either.

The provider is the one the client names (`batch_api_wire`), the key one of its keys marked
`use_for_batch_api`; the bytes go as they came, through `open_upstream`, so
retries, the concurrency limit and an LLM Proxy project's own key apply as everywhere else.
Each call is recorded with request type `file` or `batch` and no usage: uploading, listing or
creating a batch spends no tokens here (`batch_api_governance` says why no budget is held).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.enforce_context import CURRENT
from cloverleaf.governance.project_context import GRANT, PROJECT_PROVIDER
from cloverleaf.pipeline.batch_api_governance import RequestCounter, permitted_route
from cloverleaf.pipeline.batch_api_wire import BatchCall, provider_refused
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.azure import DEFAULT_API_VERSION
from cloverleaf.providers.azure import SPEC as AZURE
from cloverleaf.providers.registry import BUILTIN
from cloverleaf.providers.spec import ProviderSpec
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import KeyPicker, UpstreamKey
from cloverleaf.routing.table import ProviderRoute, Target
from cloverleaf.transport.base import TransportError, UpstreamRequest

#: the wires whose Files and Batches APIs this forwards to; a custom provider built on one of
#: them has the same spec under another name
FAMILIES = (BUILTIN["openai"], AZURE)
#: upstream response headers a client may see (a download's file name, the rate-limit state of
#: the batch key); never cookies or the upstream's account details
RELAYED_HEADERS = (
    "content-disposition",
    "openai-processing-ms",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-reset-requests",
)


@dataclass(slots=True)
class BatchAnswer:
    """The upstream's answer: whole (`body`) or, for a file's content, as it arrives."""

    status: int
    content_type: str
    remote_ms: float
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    stream: AsyncGenerator[bytes, None] | None = None


def family_of(spec: ProviderSpec) -> ProviderSpec | None:
    for family in FAMILIES:
        if replace(spec, name=family.name, keyless=family.keyless) == family:
            return family
    return None


class BatchApi:
    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._counter = RequestCounter()

    async def run(self, call: BatchCall, request_id: str) -> BatchAnswer:
        """The upstream's answer (a passed-on 4xx is raised as the GatewayError to render)."""
        target = await self._target(call)
        governed, enforcer = CURRENT.get(), self._gateway.enforcer
        if governed is not None and enforcer is not None:
            await self._counter.reserve(enforcer, governed, target)
        is_azure = family_of(target.route.spec) is AZURE

        def build(target: Target, key: UpstreamKey) -> UpstreamRequest:
            return _request(target.route, key, call, is_azure)

        gateway = self._gateway
        opened = await open_upstream([target], build, gateway.transport, gateway.rng)
        response = opened.response
        content_type = response.header("content-type") or "application/octet-stream"
        relayed = ((name, response.header(name)) for name in RELAYED_HEADERS)
        headers = tuple((name, value) for name, value in relayed if value is not None)
        status = response.status
        if call.operation.stream:
            stream = _relay(gateway, opened, request_id, call.operation.request_type)
            return BatchAnswer(status, content_type, opened.remote_ms, headers, stream=stream)
        try:
            body = opened.first or b""
        finally:
            await opened.aclose()
            record = record_of(
                opened, request_id, False, None, status, request_type=call.operation.request_type
            )
            gateway.record(record)
        return BatchAnswer(status, content_type, opened.remote_ms, headers, body=body)

    async def _target(self, call: BatchCall) -> Target:
        """The named provider with only the keys that may serve this call, or the 400/403."""
        route = self._gateway.table.routes.get(call.provider)
        if route is None:
            configured = ", ".join(self._gateway.table.routes) or "none"
            raise provider_refused(
                f"provider {call.provider!r} is not configured (configured: {configured})",
                code="provider_not_configured",
            )
        if family_of(route.spec) is None:
            raise provider_refused(
                f"provider {call.provider!r} has no OpenAI Files and Batches API; name a provider "
                "whose wire is OpenAI's or Azure OpenAI's"
            )
        kind = call.operation.kind
        if route.allowed_requests is not None and kind not in route.allowed_requests:
            raise GatewayError(
                400,
                f"provider {route.name} does not allow {kind} requests "
                "(custom_provider_config.allowed_requests)",
                code="request_type_not_allowed",
            )
        governed = CURRENT.get()
        if governed is not None:
            route = permitted_route(governed, route)
        grant = GRANT.get()
        if grant is not None and route.name == PROJECT_PROVIDER:
            # an LLM Proxy project calls with its own upstream key (`open_upstream` puts it in)
            return Target(replace(route, picker=KeyPicker(route.keys)), "")
        return Target(self._batch_route(route), "")

    def _batch_route(self, route: ProviderRoute) -> ProviderRoute:
        """`route` may hold only the keys a virtual key pins; the message tells that apart."""
        configured = self._gateway.table.routes.get(route.name, route)
        flagged = {key.id for key in configured.keys if key.use_for_batch_api}
        keys = tuple(
            # files and batches name no model: a key's model lists do not apply to them
            replace(key, models=frozenset(), blacklisted_models=frozenset())
            for key in route.keys
            if key.id in flagged
        )
        if not keys:
            raise provider_refused(
                f"no key of provider {route.name} has use_for_batch_api"
                + (" (among the keys this virtual key may use)" if flagged else "")
                + ": mark one with use_for_batch_api: true to use the Files and Batches APIs",
                code="no_batch_api_key",
            )
        return replace(route, keys=keys, picker=KeyPicker(keys))


def _request(
    route: ProviderRoute, key: UpstreamKey, call: BatchCall, is_azure: bool
) -> UpstreamRequest:
    url = route.url(key, "/" + call.resource)
    query = call.query
    if is_azure:
        if key.api_version is None:
            url += "?api-version=" + DEFAULT_API_VERSION
        # the key pins the API version; a client's own would make the query ambiguous
        query = "&".join(p for p in query.split("&") if not p.startswith("api-version="))
    if query:
        url += ("&" if "?" in url else "?") + query
    headers = [*call.headers, *route.extra_headers]
    method = call.operation.method
    headers += auth_headers(
        route.spec, key.credential, method=method, url=url, headers=headers, body=call.body
    )
    return UpstreamRequest(
        method, url, tuple(headers), call.body, route.profile, stream=call.operation.stream
    )


async def _relay(
    gateway: Gateway, opened: Opened, request_id: str, request_type: str
) -> AsyncGenerator[bytes, None]:
    """A file's content chunk by chunk; recorded when it ended (or the client left)."""
    status = opened.response.status
    try:
        chunk = opened.first
        while chunk is not None:
            if chunk:
                yield chunk
            try:
                chunk = await opened.response.next_chunk()
            except TransportError:
                status = 502  # the status is sent: the client sees the body cut short
                return
    finally:
        await opened.aclose()
        gateway.record(record_of(opened, request_id, True, None, status, request_type=request_type))
