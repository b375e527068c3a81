"""The contract every wire dialect implements, in both directions.

A dialect is used on the client side (decode what a client sent, encode the answer back) and on
the upstream side (encode what a provider receives, decode what it answered). Everything here is
pure: values in, values out, no I/O, no clock. Stream codecs are small stateful objects, one per
stream, fed bytes or events in order.
"""

from __future__ import annotations

from typing import Any, Protocol

from cloverleaf.core.chat import ChatRequest, ChatResponse, StreamEvent
from cloverleaf.core.errors import GatewayError


class ResponseHeaders(Protocol):
    """Case-insensitive header lookup on an upstream answer; the transport's response has it."""

    def header(self, name: str) -> str | None: ...


class StreamDecoder(Protocol):
    """Upstream stream bytes → core events. Raises GatewayError for an in-band error event.

    `finished`: the wire's own end marker was read (OpenAI's `[DONE]`), so only the end of the
    body can follow; a dialect without one (or that does not track it) leaves it False.
    """

    finished: bool

    def feed(self, chunk: bytes) -> list[StreamEvent]: ...

    def close(self) -> list[StreamEvent]:
        """Events still held when the upstream closed the stream."""
        ...


class StreamEncoder(Protocol):
    """Core events → client stream bytes in this dialect's framing (SSE, NDJSON)."""

    content_type: str

    def encode(self, event: StreamEvent) -> bytes: ...

    def close(self) -> bytes:
        """The dialect's end of stream (`data: [DONE]`, `message_stop`, ...)."""
        ...

    def error(self, error: GatewayError) -> bytes:
        """The dialect's mid-stream error event; the stream ends after it."""
        ...


class ChatDialect(Protocol):
    name: str

    # -- client side ---------------------------------------------------------------------
    def decode_request(self, body: dict[str, Any]) -> ChatRequest:
        """Raise GatewayError(400, ...) naming the field for anything malformed."""
        ...

    def encode_response(self, response: ChatResponse) -> bytes: ...

    def stream_encoder(self, request: ChatRequest) -> StreamEncoder: ...

    def render_error(self, error: GatewayError) -> bytes: ...

    # -- upstream side -------------------------------------------------------------------
    def encode_request(self, request: ChatRequest, model: str) -> dict[str, Any]:
        """The upstream body for `model` (the provider's id). Raise GatewayError(400) naming a
        parameter the target cannot honour when dropping it would change the answer."""
        ...

    def decode_response(self, body: bytes) -> ChatResponse: ...

    def stream_decoder(self) -> StreamDecoder: ...

    def parse_error(
        self,
        status: int,
        body: bytes,
        provider: str,
        *,
        headers: ResponseHeaders | None = None,
    ) -> GatewayError:
        """A non-2xx answer as a GatewayError. `headers` is optional: some providers name the
        error only there (Bedrock's `x-amzn-ErrorType`); the others ignore it."""
        ...
