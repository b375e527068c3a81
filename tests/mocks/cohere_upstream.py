"""A wire-exact mock of the Cohere v2 chat upstream (cohere.md) for gateway tests.

A raw ASGI app: `POST /v2/chat` (JSON, or SSE with both `event:` lines and a `type` in the data,
ending in `data: [DONE]`), Cohere's flat `{"id", "message"}` error bodies. A Bearer key is
required. By default it echoes the last user text as "echo: <text>", with word counts as usage.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from tests.mocks.embeddings_wire import cohere_embed
from tests.mocks.extra_ops_wire import cohere_rerank
from tests.mocks.scripted import wait_disconnect
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

JSON = dict[str, Any]

# Scripted replies, one consumed per `/v2/chat` request (FIFO; the echo when none is queued):
#   Text, ToolCalls             an answer, streamed when the request says `stream: true`
#   Error(status, message)      an error body; `in_stream` ends a 200 stream with message-end error
#   RawBody(status, body)       these exact bytes (wire-exact answers the scripts cannot build)
#   SlowStream(interval)        always stream: one text piece every `interval` s until the client
#                               leaves (then `disconnected` is set)


@dataclass(frozen=True)
class Text:
    text: str
    finish_reason: str = "COMPLETE"
    thinking: str | None = None


@dataclass(frozen=True)
class ToolCalls:
    calls: list[tuple[str, JSON]]  # (name, arguments)
    plan: str = "I will call the tools."


@dataclass(frozen=True)
class Error:
    status: int
    message: str
    in_stream: bool = False


@dataclass(frozen=True)
class RawBody:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


@dataclass(frozen=True)
class SlowStream:
    interval: float
    chunks: int = 10_000
    piece: str = "tick "


Reply = Text | ToolCalls | Error | RawBody | SlowStream


@dataclass(frozen=True)
class RecordedRequest:  # as the upstream saw it: headers lower-cased, `json` None if unparsable
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))


def _validate(body: Any) -> str | None:
    """The message of the 400 the real API would answer, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "invalid request: model must be a string"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "invalid request: messages must not be empty"
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("system", "user", "assistant", "tool"):
            return f"invalid request: messages[{i}].role {role!r} is invalid"
        if role == "tool" and not message.get("tool_call_id"):
            return f"invalid request: messages[{i}].tool_call_id is required"
    if body.get("tool_choice") not in (None, "REQUIRED", "NONE"):
        return "invalid request: tool_choice must be REQUIRED or NONE"
    return None


def _message(reply: Text | ToolCalls) -> JSON:
    if isinstance(reply, Text):
        content = [{"type": "thinking", "thinking": reply.thinking}] if reply.thinking else []
        return {"role": "assistant", "content": [*content, {"type": "text", "text": reply.text}]}
    calls = [
        {
            "id": f"{name}_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {"name": name, "arguments": orjson.dumps(arguments).decode()},
        }
        for name, arguments in reply.calls
    ]
    return {"role": "assistant", "tool_plan": reply.plan, "tool_calls": calls}


def _usage(body: JSON, message: JSON) -> JSON:
    prompt = sum(len(_text(m.get("content")).split()) for m in body["messages"])
    words = [_text(message.get("content")), message.get("tool_plan", "")]
    words += [c["function"]["arguments"] for c in message.get("tool_calls", ())]
    counts = {"input_tokens": max(1, prompt), "output_tokens": len(" ".join(words).split())}
    return {"billed_units": counts, "tokens": dict(counts), "cached_tokens": 0}


def _events(message: JSON, end: JSON) -> Iterator[JSON]:
    """Every SSE payload of one streamed answer, in the real API's order."""
    start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    yield {"id": str(uuid.uuid4()), "type": "message-start", "delta": {"message": start}}
    for index, part in enumerate(message.get("content", ())):
        kind = part["type"]
        empty = {"content": {"type": kind, kind: ""}}
        yield {"type": "content-start", "index": index, "delta": {"message": empty}}
        for word in part[kind].split(" "):
            piece = word if word == part[kind].split(" ")[0] else " " + word
            delta = {"message": {"content": {kind: piece}}}
            yield {"type": "content-delta", "index": index, "delta": delta}
        yield {"type": "content-end", "index": index}
    if message.get("tool_plan"):
        yield {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": message["tool_plan"]}}}
    for index, call in enumerate(message.get("tool_calls", ())):
        head = {**call, "function": {**call["function"], "arguments": ""}}
        yield {
            "type": "tool-call-start",
            "index": index,
            "delta": {"message": {"tool_calls": head}},
        }
        arguments = call["function"]["arguments"]
        for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2 :]):
            fragment = {"function": {"arguments": piece}}
            delta = {"message": {"tool_calls": fragment}}
            yield {"type": "tool-call-delta", "index": index, "delta": delta}
        yield {"type": "tool-call-end", "index": index}
    yield {"type": "message-end", "delta": end}


class MockCohere(ThreadedServer):
    """The ASGI app on its own 127.0.0.1 uvicorn thread, scripted from tests (one lock guards
    shared state). `api_key` set: only that key passes; otherwise any Bearer key does."""

    def __init__(self, *, api_key: str | None = None, port: int = 0) -> None:
        super().__init__(self, port=port)
        self.api_key = api_key
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def wait_for_disconnect(self, timeout: float) -> bool:
        return self.disconnected.wait(timeout)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self.disconnected.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()  # ThreadedServer runs without lifespan: every scope is HTTP
        while (message := await receive())["type"] != "http.disconnect":
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        else:
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            parsed: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        request = RecordedRequest(scope["method"], scope["path"], headers, bytes(body), parsed)
        with self._lock:
            self._requests.append(request)
        await self._route(request, receive, send)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        embed = request.method == "POST" and request.path == "/v2/embed"
        rerank = request.method == "POST" and request.path == "/v2/rerank"
        if not (embed or rerank) and (request.method != "POST" or request.path != "/v2/chat"):
            return await _send(send, 404, {"message": f"path {request.path!r} not found"})
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not key or (self.api_key is not None and key != self.api_key):
            return await _send(send, 401, {"message": "invalid api token"})
        if rerank:
            return await _send(send, *cohere_rerank(request.json))
        if embed:
            status, answer = cohere_embed(request.json)
            return await _send(
                send, status, {"message": answer} if isinstance(answer, str) else answer
            )
        problem = _validate(request.json)
        if problem is not None:
            return await _send(send, 400, {"message": problem})
        body: JSON = request.json
        with self._lock:
            reply = self._queue.popleft() if self._queue else None
        if reply is None:
            users = [m for m in body["messages"] if m.get("role") == "user"]
            reply = Text("echo: " + (_text(users[-1].get("content")) if users else ""))
        if isinstance(reply, RawBody):
            headers = [(b"content-type", reply.content_type.encode())]
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            return await send({"type": "http.response.body", "body": reply.body})
        if isinstance(reply, SlowStream):
            return await self._watch(receive, _stream(send, _slow(reply)))
        if isinstance(reply, Error) and not reply.in_stream:
            return await _send(send, reply.status, {"message": reply.message})
        if isinstance(reply, Error):
            message: JSON = {"role": "assistant", "content": [{"type": "text", "text": "partial"}]}
            end: JSON = {"finish_reason": "ERROR", "error": reply.message}
            return await _stream(send, _events(message, end))
        message = _message(reply)
        finish = reply.finish_reason if isinstance(reply, Text) else "TOOL_CALL"
        usage = _usage(body, message)
        if body.get("stream") is True:
            return await _stream(send, _events(message, {"finish_reason": finish, "usage": usage}))
        answer = {"id": str(uuid.uuid4()), "finish_reason": finish, "message": message}
        await _send(send, 200, {**answer, "usage": usage})

    async def _watch(self, receive: Receive, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` until it ends or the client leaves (then `disconnected` is set)."""
        task, listener = (
            asyncio.ensure_future(work),
            asyncio.ensure_future(wait_disconnect(receive)),
        )
        try:
            await asyncio.wait((task, listener), return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished = task.done()
            task.cancel()
            listener.cancel()
            await asyncio.gather(task, listener, return_exceptions=True)
        if not finished:
            self.disconnected.set()


async def _slow(reply: SlowStream) -> AsyncIterator[JSON]:
    """One text content block whose pieces come `interval` s apart (the first at once)."""
    start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    yield {"id": str(uuid.uuid4()), "type": "message-start", "delta": {"message": start}}
    empty = {"message": {"content": {"type": "text", "text": ""}}}
    yield {"type": "content-start", "index": 0, "delta": empty}
    for i in range(reply.chunks):
        await asyncio.sleep(reply.interval if i else 0)
        delta = {"message": {"content": {"text": reply.piece}}}
        yield {"type": "content-delta", "index": 0, "delta": delta}
    yield {"type": "content-end", "index": 0}
    yield {"type": "message-end", "delta": {"finish_reason": "COMPLETE"}}


async def _send(send: Send, status: int, body: JSON) -> None:
    if status >= 400:
        body = {"id": str(uuid.uuid4()), **body}
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})


async def _stream(send: Send, events: Iterator[JSON] | AsyncIterator[JSON]) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    async for payload in _each(events):
        frame = f"event: {payload['type']}\ndata: ".encode() + orjson.dumps(payload) + b"\n\n"
        await send({"type": "http.response.body", "body": frame, "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


async def _each(events: Iterator[JSON] | AsyncIterator[JSON]) -> AsyncIterator[JSON]:
    if isinstance(events, AsyncIterator):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event
