"""An OpenAI-shaped upstream for pass-through tests: records every request exactly as it came,
answers from a script (status, headers, body chunks), and lists models for the gateway's
own `/v1/models` so exact routes can be told apart from the pass-through."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from tests.mocks.scripted import RecordedRequest, ScriptedUpstream, Served
from tests.mocks.server_thread import Receive, Send, ThreadedServer

MODELS = ("gpt-4o-mini",)


@dataclass(frozen=True)
class Raw:
    """One scripted answer; with `gate`, the chunks after the first wait until it is set;
    with `abort`, the connection is dropped after the chunks instead of ending the body."""

    status: int = 200
    content_type: str = "application/json"
    chunks: Sequence[bytes] = (b"{}",)
    headers: Sequence[tuple[str, str]] = ()
    gate: threading.Event | None = None
    abort: bool = False


class MockPassthrough(Served, ScriptedUpstream[Raw]):
    def __init__(self) -> None:
        super().__init__()
        self.server = ThreadedServer(self)

    def proxied(self) -> list[RecordedRequest]:
        """What arrived, without the gateway's own model-list calls."""
        return [r for r in self.requests if not (r.method == "GET" and r.path == "/v1/models")]

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        if request.method == "GET" and request.path == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "mock", "created": 1} for m in MODELS]
            reply = Raw(chunks=(orjson.dumps({"object": "list", "data": data}),))
        else:
            reply = self._next_reply() or Raw(
                404, chunks=(b'{"error":{"message":"nothing scripted","type":"mock"}}',)
            )
        headers = [(b"content-type", reply.content_type.encode())]
        headers += [(k.encode(), v.encode()) for k, v in reply.headers]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        for index, chunk in enumerate(reply.chunks):
            if index == 1 and reply.gate is not None:
                await asyncio.to_thread(reply.gate.wait, 10)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if reply.abort:
            raise ConnectionAbortedError("scripted: the upstream dropped the connection")
        await send({"type": "http.response.body", "body": b""})
