"""pyreqwest behind the Transport seam: the fastest client measured here (shared/bench)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pyreqwest.client import Client, ClientBuilder
from pyreqwest.exceptions import (
    ConnectError,
    PoolTimeoutError,
    PyreqwestError,
    RequestTimeoutError,
)
from pyreqwest.proxy import ProxyBuilder
from pyreqwest.request import StreamRequest
from pyreqwest.response import Response

from cloverleaf.transport.base import (
    NetworkProfile,
    TransportError,
    UpstreamConnectError,
    UpstreamRequest,
    UpstreamTimeoutError,
)

# pyreqwest's streamed requests pre-read up to this many bytes before returning the response
# (default 64 KiB), which would hold back an SSE stream until 64 KiB arrived. One byte makes the
# response available as soon as the headers are in and chunks flow as they arrive.
_STREAM_READ_BUFFER = 1
_CONNECT_TIMEOUT_S = 10.0


class PyreqwestTransport:
    """One keep-alive client per network profile, built on first use and kept for the app's life."""

    def __init__(self) -> None:
        self._clients: dict[NetworkProfile, Client] = {}

    async def send(self, request: UpstreamRequest) -> _Response:
        client = self._clients.get(request.profile)
        if client is None:
            client = self._clients[request.profile] = _build_client(request.profile)
        builder = (
            client.request(request.method, request.url)
            .headers(request.headers)
            .body_bytes(request.body)
        )
        try:
            if request.stream:
                streamed = builder.streamed_read_buffer_limit(_STREAM_READ_BUFFER).build_streamed()
                response = await streamed.__aenter__()
                return _Response(response, streamed)
            timeout = timedelta(seconds=request.profile.timeout_s)
            return _Response(await builder.timeout(timeout).build().send(), None)
        except PyreqwestError as exc:
            raise _translate(exc) from None

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()


class _Response:
    __slots__ = ("_response", "_stream", "status")

    def __init__(self, response: Response, stream: StreamRequest | None) -> None:
        self._response = response
        self._stream = stream
        self.status = response.status

    def header(self, name: str) -> str | None:
        return self._response.get_header(name)

    async def read(self) -> bytes:
        try:
            return bytes(await self._response.bytes())
        except PyreqwestError as exc:
            raise _translate(exc) from None

    async def next_chunk(self) -> bytes | None:
        try:
            chunk = await self._response.body_reader.read_chunk()
        except PyreqwestError as exc:
            raise _translate(exc) from None
        return None if chunk is None else bytes(chunk)

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.__aexit__(None, None, None)


def _build_client(profile: NetworkProfile) -> Client:
    timeout = timedelta(seconds=profile.timeout_s)
    builder = (
        ClientBuilder()
        .read_timeout(timeout)
        .connect_timeout(timedelta(seconds=min(_CONNECT_TIMEOUT_S, profile.timeout_s)))
        .pool_idle_timeout(timedelta(seconds=90))
        .follow_redirects(False)
        .user_agent("cloverleaf")
        .gzip(False)
        .brotli(False)
        .zstd(False)
        .deflate(False)
    )
    if profile.ca_cert_pem:
        builder = builder.add_root_certificate_pem(profile.ca_cert_pem.encode())
    if profile.insecure_skip_verify:
        builder = builder.danger_accept_invalid_certs(True)
    return _with_proxy(builder, profile).build()


def _with_proxy(builder: ClientBuilder, profile: NetworkProfile) -> ClientBuilder:
    if profile.proxy_type == "environment":
        return builder  # reqwest reads HTTP(S)_PROXY / ALL_PROXY / NO_PROXY itself
    if profile.proxy_type in ("http", "socks5") and profile.proxy_url:
        scheme = "socks5" if profile.proxy_type == "socks5" else "http"
        url = profile.proxy_url if "://" in profile.proxy_url else f"{scheme}://{profile.proxy_url}"
        proxy = ProxyBuilder.all(url)
        if profile.proxy_username:
            proxy = proxy.basic_auth(profile.proxy_username, profile.proxy_password or "")
        return builder.proxy(proxy)
    return builder.no_proxy()


def _translate(exc: Any) -> TransportError:
    """Map pyreqwest errors onto the seam's three cases; the message never carries headers.

    Timeouts come first: pyreqwest 0.15 reports a late *response* on an open connection as
    ConnectTimeoutError too, so a timeout cannot be told apart from a slow connect and is never
    treated as "nothing was sent".
    """
    if isinstance(exc, RequestTimeoutError | PoolTimeoutError):
        return UpstreamTimeoutError("the upstream did not answer in time")
    if isinstance(exc, ConnectError):
        return UpstreamConnectError(f"could not connect to the upstream: {type(exc).__name__}")
    return TransportError(f"upstream connection failed: {type(exc).__name__}")
