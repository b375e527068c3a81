"""A wire-exact mock of the Anthropic Messages upstream (anthropic.md) for gateway tests.

A raw ASGI app: `POST /v1/messages` (JSON, or SSE with named events), `/v1/messages/count_tokens`,
Anthropic error bodies. It rejects what the real API rejects and a gateway could get wrong (headers,
`max_tokens`, roles, empty text, unanswered `tool_use`, thinking budgets), so translation bugs fail
tests. By default it echoes the last user text as "echo: <text>", with word counts as usage.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import deque
from collections.abc import Coroutine, Iterator
from dataclasses import astuple, dataclass, field
from typing import Any

import orjson

from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

JSON = dict[str, Any]
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error"}
_TYPES |= {404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error"}
_TYPES |= {500: "api_error", 504: "timeout_error", 529: "overloaded_error"}
_BLOCKS = {
    "user": frozenset({"text", "image", "document", "tool_result", "search_result"}),
    "assistant": frozenset({"text", "tool_use", "thinking", "redacted_thinking"}),
}
_PATHS = ("/v1/messages", "/v1/messages/count_tokens")


# Scripted replies, one consumed per `/v1/messages` request (FIFO; the echo when none is queued):
#   Text, ToolCalls, Thinking   an answer, streamed when the request says `stream: true`
#   Error(status, message)      an error body; `in_stream` sends it as a 200 stream's `event: error`
#   Delay(seconds)              wait first (cancelled when the client disconnects)
#   SlowStream(interval)        always stream, one `piece` every `interval` seconds (first at once)
#   RawBody(status, body)       these exact bytes (a malformed answer, a stream recorded elsewhere)


@dataclass(frozen=True)
class Text:
    text: str
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None


@dataclass(frozen=True)
class ToolCalls:
    calls: list[tuple[str, JSON]]  # (name, input)
    text: str | None = None


@dataclass(frozen=True)
class Thinking:
    thinking: str
    then: Text | ToolCalls | None = None
    signature: str = "EqQBCgIYAhIMmocksignature"
    redacted: bool = False  # a `redacted_thinking` block whose data is `signature`


@dataclass(frozen=True)
class Error:
    status: int
    message: str
    type: str | None = None  # default: the real API's type for `status`
    headers: dict[str, str] = field(default_factory=dict)
    in_stream: bool = False
    before: str = "partial"  # text streamed before an in-stream error


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class SlowStream:
    interval: float
    chunks: int = 10_000
    piece: str = "tick "


@dataclass(frozen=True)
class RawBody:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Reply = Text | ToolCalls | Thinking | Error | Delay | SlowStream | RawBody
Answer = Text | ToolCalls | Thinking


@dataclass(frozen=True)
class RecordedRequest:  # as the upstream saw it: headers lower-cased, `json` None if unparsable
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any


def _texts(content: Any) -> tuple[list[str], int]:
    """(texts, image count) of a message, system or tool_result `content`."""
    if isinstance(content, str):
        return [content], 0
    texts, images = [], 0
    for block in content if isinstance(content, list) else ():
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_result":
            texts.extend(_texts(block.get("content"))[0])
        images += kind == "image"
    return texts, images


def _prompt_words(body: JSON) -> int:
    contents = [body.get("system"), *(m.get("content") for m in body["messages"])]
    return max(1, sum(len(" ".join(_texts(c)[0]).split()) for c in contents))


def _echo(messages: list[JSON]) -> Text:
    user = [m for m in messages if m.get("role") == "user"]
    texts, images = _texts(user[-1].get("content")) if user else ([], 0)
    return Text("echo: " + " ".join(texts) + (f" [images: {images}]" if images else ""))


def _check_turns(messages: list[Any]) -> str | None:
    pending: set[str] = set()  # tool_use ids the next turn must answer
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _BLOCKS:
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        raw = [{"type": "text", "text": content}] if isinstance(content, str) else content
        blocks = [b if isinstance(b, dict) else {} for b in raw] if isinstance(raw, list) else [{}]
        for j, block in enumerate(blocks):
            if block.get("type") not in _BLOCKS[role]:
                return f"messages.{i}.content.{j}: Input tag {block.get('type')!r} is not allowed"
            if block["type"] == "text" and not block.get("text"):
                return "messages: text content blocks must be non-empty"
            if block["type"] == "tool_result" and block.get("tool_use_id") not in pending:
                return f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result`"
        missing = pending - {b.get("tool_use_id") for b in blocks if b["type"] == "tool_result"}
        if missing:
            return f"messages.{i}: `tool_use` ids were found without `tool_result`: {min(missing)}"
        pending = {b["id"] for b in blocks if b["type"] == "tool_use"}
    return None


def _validate(body: Any, *, count_only: bool) -> str | None:
    """The message of the 400 the real API would answer, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "model: Field required"
    max_tokens = body.get("max_tokens") if not count_only else 1 << 30
    if not isinstance(max_tokens, int) or max_tokens < 1:
        return "max_tokens: Field required"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages: Field required"
    thinking = body["thinking"] if isinstance(body.get("thinking"), dict) else {}
    budget = thinking.get("budget_tokens") if thinking.get("type") == "enabled" else 1024
    if not isinstance(budget, int) or budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if thinking.get("type") == "enabled" and budget >= max_tokens:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    return _check_turns(body["messages"])


def _answer(reply: Answer) -> tuple[list[JSON], tuple[str, str | None]]:
    """(content blocks, (stop_reason, stop_sequence)); a stream sends the blocks in pieces."""
    blocks: list[JSON] = []
    if isinstance(reply, Thinking):
        thinking = {"type": "thinking", "thinking": reply.thinking, "signature": reply.signature}
        redacted = {"type": "redacted_thinking", "data": reply.signature}
        blocks.append(redacted if reply.redacted else thinking)
        reply = reply.then or Text("")
    if reply.text:
        blocks.append({"type": "text", "text": reply.text})
    if isinstance(reply, Text):
        return blocks, (reply.stop_reason, reply.stop_sequence)
    for name, arguments in reply.calls:
        call = {"type": "tool_use", "id": f"toolu_01{uuid.uuid4().hex[:22]}", "name": name}
        blocks.append({**call, "input": arguments})
    return blocks, ("tool_use", None)


def _output_words(blocks: list[JSON]) -> int:
    words = [b.get("text", "") + b.get("thinking", "") + b.get("name", "") for b in blocks]
    words += [orjson.dumps(b["input"]).decode() for b in blocks if b["type"] == "tool_use"]
    return sum(len(w.split()) for w in words)


def _deltas(block: JSON) -> tuple[JSON, list[JSON]]:
    """(content_block_start block, deltas): text by word, arguments in two pieces or more."""
    if block["type"] in ("text", "thinking"):
        kind = block["type"]
        pieces = re.findall(r"\s*\S+|\s+", block[kind])
        deltas = [{"type": f"{kind}_delta", kind: p} for p in pieces]
        if kind == "text":
            return {"type": "text", "text": ""}, deltas
        signature = {"type": "signature_delta", "signature": block["signature"]}
        return {"type": "thinking", "thinking": "", "signature": ""}, [*deltas, signature]
    if block["type"] == "redacted_thinking":
        return block, []
    args = orjson.dumps(block["input"]).decode()
    size = max(1, min(8, (len(args) + 1) // 2))
    pieces = ["", *(args[i : i + size] for i in range(0, len(args), size))]
    return {**block, "input": {}}, [{"type": "input_json_delta", "partial_json": p} for p in pieces]


def _events(message: JSON, reply: Answer | Error | SlowStream) -> Iterator[JSON]:
    """Every SSE payload of one streamed answer, in the real API's order."""
    yield {"type": "message_start", "message": message}
    stop: tuple[str, str | None] = ("end_turn", None)
    if isinstance(reply, SlowStream):
        content = [{"type": "text", "text": reply.piece * reply.chunks}]
        blocks, output = [_deltas(b) for b in content], _output_words(content)
    elif isinstance(reply, Error):
        blocks, output = [_deltas({"type": "text", "text": reply.before})], 0
    else:
        content, stop = _answer(reply)
        blocks, output = [_deltas(b) for b in content], _output_words(content)
    for index, (start, deltas) in enumerate(blocks):
        yield {"type": "content_block_start", "index": index, "content_block": start}
        if index == 0:
            yield {"type": "ping"}  # where the real API sends its first one
        for delta in deltas:
            yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    if isinstance(reply, Error):
        yield _error_body(reply)
        return
    end: JSON = {"stop_reason": stop[0], "stop_sequence": stop[1]}
    yield {"type": "message_delta", "delta": end, "usage": {"output_tokens": output}}  # cumulative
    yield {"type": "message_stop"}


class MockAnthropic(ThreadedServer):
    """The ASGI app on its own 127.0.0.1 uvicorn thread, scripted from tests (one lock guards
    shared state). `api_key` set: only that key passes. `cache_tokens` (read, created)
    goes into every answer's usage until `reset()`."""

    def __init__(self, *, api_key: str | None = None, port: int = 0) -> None:
        super().__init__(self, port=port)
        self.api_key, self.cache_tokens = api_key, (0, 0)
        self._lock = threading.Condition()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()

    def enqueue(self, *replies: Reply) -> None:
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

    def wait_for_disconnect(self, timeout: float) -> bool:
        return self.disconnected.wait(timeout)

    def reset(self) -> None:  # requests, queued replies, cache tokens and disconnects
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self.cache_tokens = (0, 0)
            self.disconnected.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()  # ThreadedServer runs without lifespan: every scope is HTTP
        while (message := await receive())["type"] != "http.disconnect":
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        else:
            return self.disconnected.set()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            parsed: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        method, path, query = scope["method"], scope["path"], scope["query_string"].decode()
        request = RecordedRequest(method, path, query, headers, bytes(body), parsed)
        with self._lock:
            self._requests.append(request)
        await self._route(request, receive, send)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        if request.method != "POST" or request.path not in _PATHS:
            return await self._fail(send, Error(404, "Not Found"))
        bearer = request.headers.get("authorization", "").partition("Bearer ")[2]
        key = request.headers.get("x-api-key") or bearer  # SDK 2.x sends the key as a Bearer
        if not key or (self.api_key is not None and key != self.api_key):
            return await self._fail(send, Error(401, "invalid x-api-key"))
        if "anthropic-version" not in request.headers:  # the real API answers 400, not 401
            return await self._fail(send, Error(400, "anthropic-version: header is required"))
        count_only = request.path == _PATHS[1]
        problem = _validate(request.json, count_only=count_only)
        if problem is not None:
            return await self._fail(send, Error(400, problem))
        if count_only:
            return await self._send(send, 200, {"input_tokens": _prompt_words(request.json)})
        await self._messages(request.json, receive, send)

    async def _messages(self, body: JSON, receive: Receive, send: Send) -> None:
        with self._lock:
            reply: Reply | None = self._queue.popleft() if self._queue else None
            read, created = self.cache_tokens
        while isinstance(reply, Delay):
            if await self._watch(receive, asyncio.sleep(reply.seconds)):
                return
            reply = reply.then
        reply = reply or _echo(body["messages"])
        if isinstance(reply, Error) and not reply.in_stream:
            return await self._fail(send, reply)
        if isinstance(reply, RawBody):
            return await self._send(send, *astuple(reply))  # status, body, type, headers
        usage = {"input_tokens": _prompt_words(body), "cache_creation_input_tokens": created}
        message: JSON = {"id": f"msg_01{uuid.uuid4().hex[:22]}", "type": "message"}
        message |= {"role": "assistant", "model": body["model"], "content": []}
        message |= {"stop_reason": None, "stop_sequence": None}
        message["usage"] = usage | {"cache_read_input_tokens": read, "output_tokens": 1}
        if isinstance(reply, Error | SlowStream) or body.get("stream") is True:
            interval = reply.interval if isinstance(reply, SlowStream) else 0.0
            await self._watch(receive, self._stream(send, _events(message, reply), interval))
            return
        blocks, (stop_reason, stop_sequence) = _answer(reply)
        message |= {"content": blocks, "stop_reason": stop_reason, "stop_sequence": stop_sequence}
        message["usage"]["output_tokens"] = _output_words(blocks)
        await self._send(send, 200, message)

    async def _stream(self, send: Send, events: Iterator[JSON], interval: float) -> None:
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), _request_id()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        deltas = 0
        for payload in events:
            if interval and payload["type"] == "content_block_delta":
                await asyncio.sleep(interval if deltas else 0)
                deltas += 1
            data = f"event: {payload['type']}\ndata: ".encode() + orjson.dumps(payload) + b"\n\n"
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _watch(self, receive: Receive, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` while listening for ``http.disconnect``; True if the client left first."""

        async def disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        task, listener = asyncio.ensure_future(work), asyncio.ensure_future(disconnect())
        try:
            await asyncio.wait((task, listener), return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished = task.done()
            task.cancel()
            listener.cancel()
            await asyncio.gather(task, listener, return_exceptions=True)
        if finished:
            task.result()
        else:
            self.disconnected.set()
        return not finished

    @staticmethod
    async def _send(send: Send, status: int, body: Any, kind: str = "", extra: Any = None) -> None:
        """`body` bytes as they are, anything else as JSON."""
        body = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = [(b"content-type", (kind or "application/json").encode()), _request_id()]
        headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _fail(self, send: Send, error: Error) -> None:
        body = {**_error_body(error), "request_id": "req_01mock"}
        await self._send(send, error.status, body, extra=error.headers)


def _error_body(error: Error) -> JSON:
    kind = error.type or _TYPES.get(error.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": error.message}}


def _request_id() -> tuple[bytes, bytes]:
    return b"request-id", f"req_01{uuid.uuid4().hex[:22]}".encode()
