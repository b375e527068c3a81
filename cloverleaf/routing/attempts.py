"""The one place retries and fallbacks happen: targets in order, each with its retry budget."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.project_context import GRANT, PROJECT_PROVIDER, ProjectGrant
from cloverleaf.providers.chat_adapters import FollowUp
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.retry import (
    MAX_RETRY_AFTER_S,
    RETRYABLE_STATUSES,
    backoff_seconds,
    retry_after_seconds,
)
from cloverleaf.routing.table import Target, no_key_error
from cloverleaf.transport.base import (
    Transport,
    TransportError,
    UpstreamRequest,
    UpstreamResponse,
    UpstreamTimeoutError,
)

RequestBuilder = Callable[[Target, UpstreamKey], UpstreamRequest]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class Opened:
    """A successful upstream response, holding its provider's concurrency slot until closed."""

    target: Target
    key: UpstreamKey
    response: UpstreamResponse
    #: the whole body (non-stream) or the first chunk (stream); None for an empty stream
    first: bytes | None
    remote_ms: float

    async def aclose(self) -> None:
        try:
            await self.response.aclose()
        finally:
            self.target.route.limiter.release()


class _Retry(Exception):
    def __init__(self, error: GatewayError, wait_s: float | None) -> None:
        self.error = error
        self.wait_s = wait_s


async def open_upstream(
    targets: Sequence[Target],
    build: RequestBuilder,
    transport: Transport,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
) -> Opened:
    """Try each target in order, retrying retryable failures with backoff; raise the last error.

    A stream counts as opened only once its first chunk arrived, so a provider that fails before
    sending anything can still be retried or fallen back from.
    """
    last: GatewayError | None = None
    grant = GRANT.get()
    for target in targets:
        route = target.route
        for attempt in range(route.max_retries + 1):
            key = route.picker.choose(target.model, rng)
            if grant is not None and route.name == PROJECT_PROVIDER:
                key = project_key(key, grant)
            if key is None:
                last = no_key_error(target)
                break
            try:
                return await _attempt(target, key, build, transport)
            except _Retry as retry:
                last = retry.error
                if attempt == route.max_retries or retry.wait_s is None:
                    break
                wait = retry.wait_s
                if wait <= 0:
                    wait = backoff_seconds(
                        attempt, route.backoff_initial_ms, route.backoff_max_ms, rng
                    )
                await sleep(wait)
    assert last is not None, "open_upstream needs at least one target"
    raise final_error(last)


def project_key(key: UpstreamKey | None, grant: ProjectGrant) -> UpstreamKey:
    """An LLM Proxy project's own upstream key in place of the provider's: the provider key's
    settings (base URL, aliases) stay, its credential goes; a provider with no key gets one
    made from the grant alone."""
    if key is not None:
        return replace(
            key, secret=grant.upstream_key, id=grant.key_id, name=grant.key_id, token_source=None
        )
    return UpstreamKey(
        id=grant.key_id,
        name=grant.key_id,
        secret=grant.upstream_key,
        weight=1.0,
        models=frozenset(),
        blacklisted_models=frozenset(),
        aliases={},
        server_url=None,
    )


async def _attempt(
    target: Target, key: UpstreamKey, build: RequestBuilder, transport: Transport
) -> Opened:
    limiter = target.route.limiter
    await limiter.acquire()
    try:
        if key.token_source is not None:
            try:
                await key.token_source.refresh(transport, target.route.profile)
            except GatewayError as error:
                error.provider = error.provider or target.route.name
                raise _Retry(error, 0 if error.status >= 500 else None) from None
        return await _send(target, key, build(target, key), transport)
    except BaseException:
        limiter.release()
        raise


async def _send(
    target: Target, key: UpstreamKey, request: UpstreamRequest, transport: Transport
) -> Opened:
    provider = target.route.name
    started = time.perf_counter()
    try:
        response = await transport.send(request)
    except UpstreamTimeoutError:
        raise _Retry(_timeout(provider), None) from None
    except TransportError as exc:
        raise _Retry(
            GatewayError(502, str(exc), type="server_error", provider=provider), 0
        ) from None
    if not 200 <= response.status < 300:
        raise await _failed(response, target)
    follow_up = target.adapter.follow_up
    if follow_up is not None:
        response = await _follow(follow_up, transport, request, response, target)
    try:
        first = await (response.next_chunk() if request.stream else response.read())
    except BaseException as exc:
        await response.aclose()
        if isinstance(exc, UpstreamTimeoutError):
            raise _Retry(_timeout(provider), None) from None
        if isinstance(exc, TransportError):
            raise _Retry(
                GatewayError(502, str(exc), type="server_error", provider=provider), 0
            ) from None
        raise
    return Opened(target, key, response, first, (time.perf_counter() - started) * 1000.0)


async def _follow(
    follow_up: FollowUp,
    transport: Transport,
    request: UpstreamRequest,
    response: UpstreamResponse,
    target: Target,
) -> UpstreamResponse:
    try:
        return await follow_up(transport, request, response)
    except GatewayError as error:
        error.provider = error.provider or target.route.name
        raise _Retry(error, 0 if error.status in RETRYABLE_STATUSES else None) from None
    except UpstreamTimeoutError:
        raise _Retry(_timeout(target.route.name), None) from None
    except TransportError as exc:
        raise _Retry(
            GatewayError(502, str(exc), type="server_error", provider=target.route.name), 0
        ) from None
    finally:
        await response.aclose()


async def _failed(response: UpstreamResponse, target: Target) -> _Retry:
    try:
        body = await response.read()
    except TransportError:
        body = b""
    finally:
        await response.aclose()
    error = target.adapter.dialect.parse_error(
        response.status, body, target.route.name, headers=response
    )
    hint = retry_after_seconds(response.header("retry-after"), response.header("retry-after-ms"))
    if hint is not None:
        error.headers = (("retry-after", str(max(1, round(hint)))),)
    if response.status not in RETRYABLE_STATUSES or (hint is not None and hint > MAX_RETRY_AFTER_S):
        return _Retry(error, None)
    return _Retry(error, hint if hint is not None else 0)


def _timeout(provider: str) -> GatewayError:
    return GatewayError(
        504,
        "the upstream did not answer in time",
        type="timeout_error",
        code="upstream_timeout",
        provider=provider,
    )


def final_error(error: GatewayError) -> GatewayError:
    """Upstream 4xx pass through as they are; upstream 5xx become 502 (every upstream failed)."""
    if error.provider is None or error.status < 500 or error.status in (502, 504):
        return error
    failed = GatewayError(
        502,
        f"upstream error (HTTP {error.status}): {error.message}",
        type="upstream_error",
        code=error.code or "upstream_error",
        provider=error.provider,
    )
    failed.headers = error.headers
    return failed
