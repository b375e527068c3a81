"""Transport protocol: send a request, get status + headers, then the body whole or by chunks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TransportError(Exception):
    """The upstream could not be reached or stopped answering; no HTTP status exists."""


class UpstreamTimeoutError(TransportError):
    pass


class UpstreamConnectError(TransportError):
    """Nothing was sent (refused, DNS, TLS): always safe to retry."""


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """Everything that needs a separate connection pool. Hashable: pools are keyed by it."""

    timeout_s: float = 120.0
    proxy_type: str = "none"
    proxy_url: str | None = None
    proxy_username: str | None = None
    proxy_password: str | None = None
    ca_cert_pem: str | None = None
    insecure_skip_verify: bool = False

    def __repr__(self) -> str:  # the proxy password never reaches a log
        return f"NetworkProfile(timeout_s={self.timeout_s}, proxy={self.proxy_type})"


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    profile: NetworkProfile
    stream: bool = False


class UpstreamResponse(Protocol):
    status: int

    def header(self, name: str) -> str | None: ...

    async def read(self) -> bytes:
        """The whole body (non-stream responses and error bodies)."""
        ...

    async def next_chunk(self) -> bytes | None:
        """The next body chunk as it arrived; None at the end."""
        ...

    async def aclose(self) -> None:
        """Release the connection; closes it when the body was not read to the end."""
        ...


class Transport(Protocol):
    async def send(self, request: UpstreamRequest) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...
