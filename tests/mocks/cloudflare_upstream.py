"""A wire-exact mock of Cloudflare Workers AI for gateway tests (openai-compatible.md).

Serves both surfaces of one account: the native `POST /client/v4/accounts/{acc}/ai/run/{model}`
(v4 envelope, SSE `{"response": ...}` pieces when `stream`) and the OpenAI-compatible
`POST /client/v4/accounts/{acc}/ai/v1/chat/completions` (no envelope). A raw ASGI app, so nothing
normalises the bytes; replies are scripted from the test thread under one lock. By default it
echoes the last user text with word-count usage.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, Self

import orjson

from tests.mocks.openai_upstream import RecordedRequest
from tests.mocks.scripted import wait_disconnect
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

JSON = dict[str, Any]
RUN_PATH = re.compile(r"^/client/v4/accounts/([^/]+)/ai/run/(.+)$")
V1_CHAT = re.compile(r"^/client/v4/accounts/([^/]+)/ai/v1/chat/completions$")
SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


@dataclass(frozen=True)
class Text:
    """Answer with this assistant text."""

    text: str


@dataclass(frozen=True)
class ToolCalls:
    """Answer with tool calls: ``(name, arguments_json_string)`` pairs."""

    calls: list[tuple[str, str]]
    content: str | None = None


@dataclass(frozen=True)
class Error:
    """Answer with a v4 envelope error (numeric Cloudflare ``code``) on either surface."""

    status: int
    message: str
    code: int = 7000


@dataclass(frozen=True)
class RawBody:
    """Send these exact bytes, for malformed or unexpected upstream answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


@dataclass(frozen=True)
class SlowStream:
    """Always stream, on either surface: one ``piece`` every ``interval`` seconds (the first at
    once) until the client leaves, which sets ``disconnected``."""

    interval: float
    chunks: int = 10_000
    piece: str = "tick "


Reply = Text | ToolCalls | Error | RawBody | SlowStream


def _words(text: str | None) -> int:
    return len(text.split()) if text else 0


def _pieces(text: str) -> list[str]:
    """Tokenizer-like pieces ("Hello", " world") that concatenate back to ``text``."""
    return re.findall(r"\s*\S+|\s+", text)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _prompt_words(messages: list[Any]) -> int:
    return max(1, sum(_words(_text(m.get("content"))) for m in messages if isinstance(m, dict)))


def _usage(prompt: int, completion: int) -> JSON:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _envelope_error(code: int, message: str) -> JSON:
    return {"result": None, "success": False, "errors": [{"code": code, "message": message}],
            "messages": []}  # fmt: skip


def _completion_words(reply: Text | ToolCalls) -> int:
    if isinstance(reply, Text):
        return _words(reply.text)
    return _words(reply.content) + sum(_words(n) + _words(a) for n, a in reply.calls)


class CloudflareUpstream:
    """The ASGI app plus its thread-safe scripting and recording API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()

    # ---- scripting / inspection (any thread) ----
    def enqueue(self, *replies: Reply) -> None:
        """Queue replies, consumed FIFO one per authorised, well-formed chat request."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise LookupError("no request recorded")
            return self._requests[-1]

    def wait_for_disconnect(self, timeout: float) -> bool:
        return self.disconnected.wait(timeout)

    def reset(self) -> None:
        """Forget recorded requests and disconnects, and drop queued replies."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self.disconnected.clear()

    # ---- ASGI ----
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            parsed: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        request = RecordedRequest(
            scope["method"], scope["path"], scope["query_string"].decode("latin-1"),
            headers, bytes(body), parsed,
        )  # fmt: skip
        with self._lock:
            self._requests.append(request)
        await self._route(request, receive, send)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        run = RUN_PATH.match(request.path)
        chat = V1_CHAT.match(request.path)
        if request.method != "POST" or not (run or chat):
            return await self._json(send, 404, _envelope_error(7000, "No route for that URI"))
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return await self._json(send, 401, _envelope_error(10000, "Authentication error"))
        body = request.json
        with self._lock:
            slow = (
                self._queue[0] if self._queue and isinstance(self._queue[0], SlowStream) else None
            )
            if slow is not None:
                self._queue.popleft()
        if slow is not None:
            return await self._watch(receive, _slow(send, slow, native=run is not None))
        if run is not None:
            return await self._native(body, send)
        await self._openai(body, send)

    async def _watch(self, receive: Receive, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` until it ends or the client leaves (then ``disconnected`` is set)."""
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

    def _next(self, messages: list[Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return Text(f"echo: {_text(message.get('content'))}")
        return Text("echo: ")

    # ---- native /ai/run ----
    async def _native(self, body: Any, send: Send) -> None:
        if not isinstance(body, dict):
            return await self._json(send, 400, _envelope_error(5006, "Invalid JSON body"))
        messages = body.get("messages")
        if isinstance(body.get("prompt"), str) and messages is None:
            messages = [{"role": "user", "content": body["prompt"]}]
        if not isinstance(messages, list) or not messages:
            error = _envelope_error(5006, "Error: oneOf at '/' not all met")
            return await self._json(send, 400, error)
        reply = self._next(messages)
        if isinstance(reply, Error | RawBody | SlowStream):
            return await self._special(send, reply)
        prompt = _prompt_words(messages)
        usage = _usage(prompt, _completion_words(reply))
        calls = [
            {"name": name, "arguments": orjson.loads(arguments)}
            for name, arguments in (reply.calls if isinstance(reply, ToolCalls) else [])
        ]
        text = reply.text if isinstance(reply, Text) else reply.content
        if body.get("stream") is True:
            return await self._native_stream(send, text, calls, usage)
        result = {"response": text, "tool_calls": calls, "usage": usage}
        envelope = {"result": result, "success": True, "errors": [], "messages": []}
        await self._json(send, 200, envelope)

    async def _native_stream(
        self, send: Send, text: str | None, calls: list[JSON], usage: JSON
    ) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE})
        events: list[JSON] = [{"response": piece} for piece in _pieces(text or "")]
        if calls:
            events.append({"response": "", "tool_calls": calls})
        events.append({"response": "", "usage": usage})
        for n, event in enumerate(events):
            padded = {**event, "p": "abcdefghijklmnop"[: n % 16 + 1]}  # random-ish padding
            await _chunk(send, b"data: " + orjson.dumps(padded) + b"\n\n")
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    # ---- OpenAI-compatible /ai/v1 ----
    async def _openai(self, body: Any, send: Send) -> None:
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return await self._json(send, 400, _envelope_error(5006, "model is required"))
        if not isinstance(messages, list) or not messages:
            return await self._json(send, 400, _envelope_error(5006, "messages is required"))
        reply = self._next(messages)
        if isinstance(reply, Error | RawBody | SlowStream):
            return await self._special(send, reply)
        prompt = _prompt_words(messages)
        usage = _usage(prompt, _completion_words(reply))
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
        head["model"] = body["model"]
        text = reply.text if isinstance(reply, Text) else reply.content
        calls = [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": args}}
            for n, (name, args) in enumerate(reply.calls if isinstance(reply, ToolCalls) else [])
        ]
        finish = "tool_calls" if calls else "stop"
        if body.get("stream") is True:
            options = body.get("stream_options")
            with_usage = isinstance(options, dict) and options.get("include_usage") is True
            return await self._openai_stream(send, head, text, calls, usage if with_usage else None)
        message = {"role": "assistant", "content": text, **({"tool_calls": calls} if calls else {})}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        completion = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        await self._json(send, 200, completion)

    async def _openai_stream(
        self, send: Send, head: JSON, text: str | None, calls: list[JSON], usage: JSON | None
    ) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": SSE})
        base = {**head, "object": "chat.completion.chunk"}

        async def delta(delta: JSON, finish: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            await _chunk(send, b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n")

        await delta({"role": "assistant", "content": ""})
        for piece in _pieces(text or ""):
            await delta({"content": piece})
        for index, call in enumerate(calls):
            await delta({"tool_calls": [{"index": index, **call}]})
        await delta({}, "tool_calls" if calls else "stop")
        if usage is not None:
            final = {**base, "choices": [], "usage": usage}
            await _chunk(send, b"data: " + orjson.dumps(final) + b"\n\n")
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    # ---- plumbing ----
    async def _special(self, send: Send, reply: Error | RawBody | SlowStream) -> None:
        if isinstance(reply, SlowStream):  # only queued behind another reply: answered at once
            return await _slow(send, replace(reply, chunks=1), native=True)
        if isinstance(reply, Error):
            return await self._json(send, reply.status, _envelope_error(reply.code, reply.message))
        await self._send(send, reply.status, reply.body, reply.content_type)

    async def _json(self, send: Send, status: int, obj: Any) -> None:
        await self._send(send, status, orjson.dumps(obj), "application/json")

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, content_type: str) -> None:
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cf-ray", b"8f00000000000000-CDG"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _slow(send: Send, reply: SlowStream, *, native: bool) -> None:
    """Native `{"response"}` events or OpenAI chunks, `interval` seconds apart."""
    await send({"type": "http.response.start", "status": 200, "headers": SSE})
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": 0}
    for i in range(reply.chunks):
        await asyncio.sleep(reply.interval if i else 0)
        delta = {"content": reply.piece}
        event = {"response": reply.piece} if native else {**head, "choices": [{"delta": delta}]}
        await _chunk(send, b"data: " + orjson.dumps(event) + b"\n\n")
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


async def _chunk(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


class MockCloudflare(CloudflareUpstream):
    """``CloudflareUpstream`` served on 127.0.0.1 by a background uvicorn thread."""

    def __init__(self, *, port: int = 0) -> None:
        super().__init__()
        self.server = ThreadedServer(self, port=port)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; append ``/client/v4/accounts/{acc}/ai/...``."""
        return self.server.base_url

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
