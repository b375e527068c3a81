"""A wire-exact mock of the Amazon Bedrock runtime (Converse / ConverseStream) for gateway tests.

A raw ASGI app speaking /work/shared/providers/bedrock.md: JSON and event-stream answers,
`x-amzn-ErrorType` errors, a real SigV4 check of every request against the test credentials.
Replies queue FIFO; by default the last user text is echoed with word-count token usage.
"""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import unquote

import orjson

from cloverleaf.formats.bedrock_converse.eventstream import CONTENT_TYPE, exception_frame
from cloverleaf.providers.aws_sigv4 import parse_authorization, verify
from tests.formats.bedrock_converse.synth import frame, stream_events
from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

JSON = dict[str, Any]
ACCESS_KEY = "AKIDCLOVERLEAFTEST01"
SECRET_KEY = "cloverleaf/mock/secret+KEY0123456789EXAMPLE"
REGION = "us-east-1"
_PATH = re.compile(r"/model/([^/]+)/(converse|converse-stream)")
_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_ALTERNATE = "A conversation must alternate between user and assistant roles. Try again."
_BLANK = "The text field in the ContentBlock object at messages.{}.content.{} is blank."
_NO_TOOL_CONFIG = "The toolConfig field must be defined when using toolUse and toolResult."
_METRICS = {"latencyMs": 12}
CONTENT_JSON = "application/json"
Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class Text:  # assistant text; cache counters show in usage when non-zero
    text: str
    stop_reason: str = "end_turn"
    cache_read: int = 0
    cache_write: int = 0


@dataclass(frozen=True)
class ToolCalls:  # tool uses as (name, input JSON text) pairs, after optional text
    calls: list[tuple[str, str]]
    content: str | None = None


@dataclass(frozen=True)
class Thinking:  # a signed reasoning block, then text
    reasoning: str
    text: str
    signature: str = "EqoBmockSignature=="


@dataclass(frozen=True)
class Error:  # an HTTP error: x-amzn-ErrorType header and {"message": ...}
    status: int
    exception_type: str
    message: str


@dataclass(frozen=True)
class StreamError:  # converse-stream: `after_text`, then an in-band exception frame
    exception_type: str  # camelCase, as in the stream: "throttlingException"
    message: str
    after_text: str = ""


@dataclass(frozen=True)
class Delay:  # sleep (cancelled on disconnect), then `then` or the echo
    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class SlowStream:  # always stream: one `piece` every `interval` s (first at once)
    interval: float
    chunks: int = 10_000
    piece: str = "tick "


@dataclass(frozen=True)
class RawBody:  # these exact bytes, for malformed upstream answers
    status: int = 200
    body: bytes = b""
    content_type: str = CONTENT_JSON


Reply = Text | ToolCalls | Thinking | Error | StreamError | Delay | SlowStream | RawBody


@dataclass(frozen=True)
class RecordedRequest:  # as the upstream saw it: `path` decoded, `raw_path` as sent
    method: str
    path: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def model_id(self) -> str | None:
        match = _PATH.fullmatch(self.raw_path)
        return unquote(match[1]) if match else None


class MockBedrock:
    """The ASGI app, its thread-safe scripting and recording API, and the 127.0.0.1 server
    (a uvicorn thread) serving it. Credentials are the known test ones unless given."""

    def __init__(
        self, *, port: int = 0, secret_key: str = SECRET_KEY, session_token: str | None = None
    ) -> None:
        self.access_key, self.secret_key, self.region = ACCESS_KEY, secret_key, REGION
        self.session_token = session_token
        self._lock = threading.Condition()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._active = 0
        self.disconnected = threading.Event()
        self.server = ThreadedServer(self, port=port)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the ``endpoint_url`` for boto3 or the gateway."""
        return self.server.base_url

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()

    # ---- scripting / inspection (any thread) ----
    def enqueue(self, *replies: Reply) -> None:
        """Queue replies, consumed FIFO one per validly signed, valid Converse request."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]

    def wait_for_disconnect(self, timeout: float) -> bool:
        return self.disconnected.wait(timeout)

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._active == 0, timeout)

    def reset(self) -> None:
        """Forget recorded requests, disconnects and queued replies."""
        with self._lock:
            self._requests.clear()
            self._queue.clear()
            self.disconnected.clear()

    # ---- ASGI ----
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await _read(scope, receive)
        if request is None:
            return self.disconnected.set()
        with self._lock:
            self._requests.append(request)
            self._active += 1
        try:
            await self._route(request, receive, send)
        finally:
            with self._lock:
                self._active -= 1
                self._lock.notify_all()

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(request.raw_path)
        if request.method != "POST" or match is None:
            return await _error(send, Error(404, "UnknownOperationException", "Not Found"))
        if problem := self._check_signature(request) or _validate(request.json):
            return await _error(send, problem)
        with self._lock:
            reply: Reply | None = self._queue.popleft() if self._queue else None
        while isinstance(reply, Delay):
            if await self._watch(receive, asyncio.sleep(reply.seconds)):
                return
            reply = reply.then
        body: JSON = request.json
        reply = reply or _echo(body["messages"])
        if isinstance(reply, Error):
            return await _error(send, reply)
        if isinstance(reply, RawBody):
            return await _send(send, reply.status, reply.body, reply.content_type)
        prompt = sum(len(t.split()) for m in body["messages"] for t in _texts(m.get("content")))
        prompt = max(1, prompt + sum(len(t.split()) for t in _texts(body.get("system"))))
        if match[2] == "converse-stream" or isinstance(reply, SlowStream):
            await self._watch(receive, _stream(send, reply, prompt))
            return
        if isinstance(reply, StreamError):
            return await _error(send, Error(500, "InternalServerException", reply.message))
        await _send(send, 200, orjson.dumps(_response(reply, prompt)))

    def _check_signature(self, req: RecordedRequest) -> Error | None:
        """Recompute the SigV4 signature over the headers the client says it signed."""
        auth = parse_authorization(req.headers.get("authorization", ""))
        if "authorization" not in req.headers:
            return Error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if auth is None:
            return Error(403, "IncompleteSignatureException", "Authorization header is malformed")
        token = req.headers.get("x-amz-security-token")
        if auth.access_key != self.access_key or token != self.session_token:
            invalid = "The security token included in the request is invalid."
            return Error(403, "UnrecognizedClientException", invalid)
        if (auth.region, auth.service) != (self.region, "bedrock"):
            scoped = f"Credential should be scoped to region {self.region!r} and service 'bedrock'"
            return Error(403, "InvalidSignatureException", scoped)
        url = f"http://{req.headers.get('host', '')}{req.raw_path}"
        url += f"?{req.query}" if req.query else ""
        if not verify(req.method, url, req.headers, req.body, secret_key=self.secret_key):
            return Error(403, "InvalidSignatureException", _BAD_SIGNATURE)
        return None

    async def _watch(self, receive: Receive, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` while listening for ``http.disconnect``; True if the client left first."""
        task, listener = asyncio.ensure_future(work), asyncio.ensure_future(_disconnect(receive))
        try:
            await asyncio.wait((task, listener), return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished = task.done()
            task.cancel()
            listener.cancel()
            await asyncio.gather(task, listener, return_exceptions=True)
        if finished:
            task.result()
            return False
        self.disconnected.set()
        return True


def _texts(blocks: Any) -> list[str]:
    """Text of text blocks and of tool results' text blocks, for echo and token counts."""
    out: list[str] = []
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            out.append(block["text"])
        elif isinstance(block, dict) and isinstance(block.get("toolResult"), dict):
            out.extend(_texts(block["toolResult"].get("content")))
    return out


def _validate(body: Any) -> Error | None:
    """The ValidationException Bedrock would send, for the mistakes translators make."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return Error(400, "ValidationException", "required key [messages] not found")
    problem = None if body["messages"] else _ALTERNATE
    tool_blocks = False
    for i, message in enumerate(body["messages"]):
        role = "assistant" if i % 2 else "user"
        if not isinstance(message, dict) or message.get("role") != role:
            problem = problem or _ALTERNATE
            continue
        for j, block in enumerate(message.get("content") or ()):
            if block.get("text") == "":
                problem = problem or _BLANK.format(i, j)
            tool_blocks = tool_blocks or "toolUse" in block or "toolResult" in block
    if tool_blocks and "toolConfig" not in body:
        problem = problem or _NO_TOOL_CONFIG
    return Error(400, "ValidationException", problem) if problem else None


def _echo(messages: list[JSON]) -> Text:
    for message in reversed(messages):
        content = message.get("content") or []
        texts = [b["text"] for b in content if isinstance(b.get("text"), str)]
        if message.get("role") == "user" and texts:
            images = sum(1 for b in content if "image" in b)
            return Text(f"echo: {' '.join(texts)}" + (f" [images: {images}]" if images else ""))
    return Text("echo: ")


def _response(reply: Reply, prompt: int) -> JSON:
    """The Converse response body for a reply that produces an assistant message."""
    content: list[JSON] = []
    stop, cache_read, cache_write = "end_turn", 0, 0
    if isinstance(reply, Text):
        content.append({"text": reply.text})
        stop, cache_read, cache_write = reply.stop_reason, reply.cache_read, reply.cache_write
    elif isinstance(reply, Thinking):
        text = {"text": reply.reasoning, "signature": reply.signature}
        content += [{"reasoningContent": {"reasoningText": text}}, {"text": reply.text}]
    elif isinstance(reply, ToolCalls):
        content += [{"text": reply.content}] if reply.content else []
        for name, arguments in reply.calls:
            use = {"toolUseId": f"tooluse_{uuid.uuid4().hex[:22]}", "name": name}
            content.append({"toolUse": {**use, "input": orjson.loads(arguments)}})
        stop = "tool_use"
    output = sum(len(_block_text(block).split()) for block in content)
    usage: JSON = {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}
    if cache_read or cache_write:
        usage |= {"cacheReadInputTokens": cache_read, "cacheWriteInputTokens": cache_write}
        usage["totalTokens"] += cache_read + cache_write
    message = {"role": "assistant", "content": content}
    return {"output": {"message": message}, "stopReason": stop, "usage": usage, "metrics": _METRICS}


def _block_text(block: JSON) -> str:
    if "toolUse" in block:
        return f"{block['toolUse']['name']} {orjson.dumps(block['toolUse']['input']).decode()}"
    reasoning = block.get("reasoningContent", {}).get("reasoningText", {})
    return str(block.get("text", reasoning.get("text", "")))


async def _stream(send: Send, reply: Reply, prompt: int) -> None:
    """Frames as Bedrock sends them; SlowStream and StreamError pace or cut the text block."""
    await _start(send, 200, CONTENT_TYPE)
    if not isinstance(reply, SlowStream | StreamError):
        return await _frames(send, stream_events(_response(reply, prompt)), more=False)
    text = reply.piece if isinstance(reply, SlowStream) else reply.after_text
    count = reply.chunks if isinstance(reply, SlowStream) else int(bool(text))
    delta = ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}})
    await _frames(send, [("messageStart", {"role": "assistant"})])
    for i in range(count):
        await asyncio.sleep(reply.interval if isinstance(reply, SlowStream) and i else 0)
        await _frames(send, [delta])
    if isinstance(reply, StreamError):
        error = exception_frame(reply.exception_type, orjson.dumps({"message": reply.message}))
        return await send({"type": "http.response.body", "body": error})
    tail = stream_events(_response(Text(text * count), prompt))[-3:]  # block stop, stop, usage
    await _frames(send, tail, more=False)


async def _frames(send: Send, events: list[tuple[str, JSON]], more: bool = True) -> None:
    body = b"".join(frame(name, payload) for name, payload in events)
    await send({"type": "http.response.body", "body": body, "more_body": more})


async def _read(scope: Scope, receive: Receive) -> RecordedRequest | None:
    """The whole request, or None when the client left before sending it."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    try:
        parsed: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    method, path = scope["method"], scope["path"]
    return RecordedRequest(method, path, raw_path, query, headers, bytes(body), parsed)


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _start(send: Send, status: int, content_type: str, *extra: Header) -> None:
    request_id = (b"x-amzn-requestid", str(uuid.uuid4()).encode())
    headers = [(b"content-type", content_type.encode()), request_id, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def _send(
    send: Send, status: int, body: bytes, kind: str = CONTENT_JSON, *extra: Header
) -> None:
    await _start(send, status, kind, (b"content-length", str(len(body)).encode()), *extra)
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, error: Error) -> None:
    name = f"{error.exception_type}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    body = orjson.dumps({"message": error.message})
    await _send(send, error.status, body, CONTENT_JSON, (b"x-amzn-errortype", name.encode()))
