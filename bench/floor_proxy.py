"""The "floor": the cheapest honest pass-through (raw ASGI on uvicorn + pyreqwest), < 80 lines.

It reads only ``model``/``stream`` and forwards the bytes and ``Authorization`` over a keep-alive
pool: no auth, routing, accounting or logging, so it is a lower bound for the gateway (the floor
rows of shared/bench/RESULTS.md) and a stand-in target when the gateway cannot serve.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import uvicorn
from pyreqwest.client import Client, ClientBuilder

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
_JSON = b"application/json"


async def _respond(send: Send, status: int, content_type: bytes, body: bytes | None) -> None:
    """Send the head, and the whole body unless it is going to be streamed (None)."""
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if body is not None:
        await send({"type": "http.response.body", "body": body})


class FloorProxy:
    """ASGI app forwarding every POST to ``<upstream><path>``; ``GET /health`` answers 200."""

    def __init__(self, upstream: str) -> None:
        self._upstream = upstream.rstrip("/")
        self._client: Client | None = None  # built on first use, inside the server's loop

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["path"] == "/health":
            return await _respond(send, 200, _JSON, b'{"status":"ok"}')
        body = b""
        while (event := await receive())["type"] == "http.request":
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        request = orjson.loads(body)
        if not isinstance(request.get("model"), str):
            return await _respond(send, 400, _JSON, b'{"error":"no model"}')
        client = self._client = self._client or ClientBuilder().build()
        builder = client.post(self._upstream + scope["path"]).body_bytes(body)
        builder = builder.header("content-type", "application/json")
        if auth := dict(scope["headers"]).get(b"authorization"):
            builder = builder.header("authorization", auth.decode())
        if request.get("stream") is not True:
            response = await builder.build().send()
            ctype = (response.get_header("content-type") or "application/json").encode()
            return await _respond(send, response.status, ctype, (await response.bytes()).to_bytes())
        # Without a 1-byte limit pyreqwest holds the response until 64 KiB have arrived.
        async with builder.streamed_read_buffer_limit(1).build_streamed() as response:
            await _respond(send, response.status, b"text/event-stream", None)
            more = {"type": "http.response.body", "more_body": True}
            reader = response.body_reader
            while (chunk := await reader.read_chunk()) is not None:
                await send({**more, "body": chunk.to_bytes()})
        await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:9000")
    args = parser.parse_args()
    options: dict[str, Any] = {"loop": "uvloop", "http": "httptools", "lifespan": "off"}
    app = FloorProxy(args.upstream)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", **options)


if __name__ == "__main__":
    main()
