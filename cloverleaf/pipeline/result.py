"""What a pipeline hands back to a route: a committed answer, whole or streamed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from cloverleaf.core.usage import Usage
from cloverleaf.pipeline.gateway import RequestRecord
from cloverleaf.routing.attempts import Opened


@dataclass(slots=True)
class ChatResult:
    status: int
    content_type: str
    remote_ms: float
    body: bytes = b""
    stream: AsyncGenerator[bytes, None] | None = None


def record_of(
    opened: Opened,
    request_id: str,
    stream: bool,
    usage: Usage | None,
    status: int = 200,
    *,
    request_type: str = "chat_completion",
    remote_ms: float | None = None,
) -> RequestRecord:
    """`remote_ms`: when one answer took several upstream calls (embeddings in batches)."""
    return RequestRecord(
        request_id=request_id,
        provider=opened.target.route.name,
        model=opened.target.model,
        status=status,
        stream=stream,
        remote_ms=opened.remote_ms if remote_ms is None else remote_ms,
        usage=usage,
        provider_key_id=opened.key.id,
        request_type=request_type,
    )
