"""Replicate's second step: wait a created prediction out by polling, or open its event stream.

Runs as the adapter's follow-up (routing/attempts.py) on the create call's 2xx answer, and
returns the response the answer is read from: the terminal prediction (non-stream) or the
`urls.stream` event stream. The URLs the API returns carry the key, so only the upstream's
own origin and Replicate's hosts are followed (stream URLs live on another host in production).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from cloverleaf.core.chat import TextDelta
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.replicate.errors import upstream_error
from cloverleaf.formats.replicate.response import (
    TERMINAL,
    load_prediction,
    output_text,
    prediction_error,
)
from cloverleaf.formats.replicate.streaming import ReplicateStreamEncoder
from cloverleaf.transport.base import (
    Transport,
    TransportError,
    UpstreamRequest,
    UpstreamResponse,
)

_TRUSTED_SUFFIXES = (".replicate.com", ".replicate.net")
#: create-call headers not meant for the follow-up GETs and POSTs
_NOT_FORWARDED = frozenset({"content-type", "content-length", "prefer"})


class BufferedResponse:
    """An UpstreamResponse already held in memory (the final prediction, or a stream built
    from it): one chunk, then the end."""

    def __init__(self, body: bytes, content_type: str = "application/json") -> None:
        self.status = 200
        self._body: bytes | None = body
        self._content_type = content_type

    def header(self, name: str) -> str | None:
        return self._content_type if name.lower() == "content-type" else None

    async def read(self) -> bytes:
        body, self._body = self._body, None
        return body or b""

    async def next_chunk(self) -> bytes | None:
        body, self._body = self._body, None
        return body or None

    async def aclose(self) -> None:
        self._body = None


class CancelOnClose:
    """The event stream; closed before its end (the client left), it cancels the prediction,
    best effort, so an abandoned answer stops running and billing."""

    def __init__(
        self, inner: UpstreamResponse, transport: Transport, cancel: UpstreamRequest | None
    ):
        self._inner = inner
        self._transport = transport
        self._cancel = cancel
        self._ended = False
        self.status = inner.status

    def header(self, name: str) -> str | None:
        return self._inner.header(name)

    async def read(self) -> bytes:
        body = await self._inner.read()
        self._ended = True
        return body

    async def next_chunk(self) -> bytes | None:
        chunk = await self._inner.next_chunk()
        self._ended = self._ended or chunk is None
        return chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            cancel, self._cancel = self._cancel, None
            if cancel is not None and not self._ended:
                await send_quietly(self._transport, cancel)


class PredictionFollowUp:
    """Polls with a doubling delay (`first_delay_s` up to `max_delay_s`) until the prediction is
    terminal, within the route's timeout; `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        *,
        first_delay_s: float = 0.25,
        max_delay_s: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first_delay_s
        self._max = max_delay_s
        self._sleep = sleep
        self._clock = clock

    async def __call__(
        self, transport: Transport, request: UpstreamRequest, response: UpstreamResponse
    ) -> UpstreamResponse:
        prediction = load_prediction(await response.read())
        if request.stream and prediction.get("status") not in TERMINAL:
            stream_url = _urls(prediction).get("stream")
            if isinstance(stream_url, str) and stream_url:
                return await self._open_stream(transport, request, prediction, stream_url)
        prediction = await self._wait(transport, request, prediction)
        error = prediction_error(prediction)
        if error is not None:
            raise error
        if request.stream:  # a model without streaming output, or an answer already complete
            return BufferedResponse(_as_stream(prediction), "text/event-stream")
        return BufferedResponse(orjson.dumps(prediction))

    async def _wait(
        self, transport: Transport, request: UpstreamRequest, prediction: dict[str, Any]
    ) -> dict[str, Any]:
        deadline = self._clock() + request.profile.timeout_s
        delay = self._first
        try:
            while prediction.get("status") not in TERMINAL:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    await _cancel(transport, request, prediction)
                    raise GatewayError(
                        504,
                        "the prediction did not finish in time",
                        type="timeout_error",
                        code="upstream_timeout",
                    )
                await self._sleep(min(delay, remaining))
                delay = min(delay * 2, self._max)
                url = _followed(request, prediction, "get")
                answer = await transport.send(_call(request, "GET", url))
                prediction = load_prediction(await _body(answer))
        except asyncio.CancelledError:  # the client went away: stop paying for the answer
            await _cancel(transport, request, prediction)
            raise
        return prediction

    async def _open_stream(
        self,
        transport: Transport,
        request: UpstreamRequest,
        prediction: dict[str, Any],
        stream_url: str,
    ) -> UpstreamResponse:
        url = _trusted(request, stream_url, "stream")
        accept = (("accept", "text/event-stream"), ("cache-control", "no-store"))
        opened = await transport.send(_call(request, "GET", url, accept, stream=True))
        if not 200 <= opened.status < 300:
            await _body(opened)  # raises the upstream's error
        cancel = _urls(prediction).get("cancel")
        cancel_call = (
            _call(request, "POST", _trusted(request, cancel, "cancel"))
            if isinstance(cancel, str) and cancel
            else None
        )
        return CancelOnClose(opened, transport, cancel_call)


def _urls(prediction: dict[str, Any]) -> dict[str, Any]:
    urls = prediction.get("urls")
    return urls if isinstance(urls, dict) else {}


def _followed(request: UpstreamRequest, prediction: dict[str, Any], which: str) -> str:
    url = _urls(prediction).get(which)
    if not isinstance(url, str) or not url:
        raise GatewayError(
            502,
            f"the unfinished prediction has no urls.{which} to follow",
            type="server_error",
            code="prediction_unfollowable",
        )
    return _trusted(request, url, which)


def _trusted(request: UpstreamRequest, url: str, which: str) -> str:
    """The create call's own origin, or an https Replicate host; anything else would hand the
    key to whoever wrote the prediction's URLs."""
    target, origin = urlsplit(url), urlsplit(request.url)
    if (target.scheme, target.netloc) == (origin.scheme, origin.netloc):
        return url
    host = target.hostname or ""
    if target.scheme == "https" and (host == "replicate.com" or host.endswith(_TRUSTED_SUFFIXES)):
        return url
    raise GatewayError(
        502,
        f"the prediction's urls.{which} points to {host or 'an unknown host'}, which is neither "
        "the configured upstream nor Replicate: not followed",
        type="server_error",
        code="untrusted_prediction_url",
    )


def _call(
    request: UpstreamRequest,
    method: str,
    url: str,
    extra: tuple[tuple[str, str], ...] = (),
    *,
    stream: bool = False,
) -> UpstreamRequest:
    """The create call's credentials and extra headers, on a bodiless follow-up call."""
    headers = tuple(h for h in request.headers if h[0].lower() not in _NOT_FORWARDED)
    return UpstreamRequest(method, url, headers + extra, b"", request.profile, stream=stream)


async def _body(response: UpstreamResponse) -> bytes:
    """The whole body of a follow-up answer; a non-2xx one raises the upstream's error."""
    try:
        body = await response.read()
    finally:
        await response.aclose()
    if not 200 <= response.status < 300:
        raise upstream_error(response.status, body, "")
    return body


async def _cancel(
    transport: Transport, request: UpstreamRequest, prediction: dict[str, Any]
) -> None:
    url = _urls(prediction).get("cancel")
    if isinstance(url, str) and url:
        with contextlib.suppress(GatewayError):
            await send_quietly(transport, _call(request, "POST", _trusted(request, url, "cancel")))


async def send_quietly(transport: Transport, request: UpstreamRequest) -> None:
    """Best effort: a cancel that fails changes nothing for the client."""
    with contextlib.suppress(TransportError):
        response = await transport.send(request)
        await response.aclose()


def _as_stream(prediction: dict[str, Any]) -> bytes:
    """The event stream the finished prediction would have sent: its output, then `done`."""
    encoder = ReplicateStreamEncoder()
    return encoder.encode(TextDelta(output_text(prediction.get("output")))) + encoder.close()
