"""A wire-exact mock of the OpenAI Chat Completions upstream for gateway tests.

A raw ASGI app (no framework, so nothing normalises the bytes we send) speaking the format in
/work/shared/providers/openai.md sections 1-3. Tests script replies from the main thread while
the app runs in a uvicorn thread, so every piece of shared state is guarded by one lock.
By default it echoes the last user message with deterministic word-count token usage.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.mocks.embeddings_wire import openai_embeddings
from tests.mocks.extra_ops_wire import jina_rerank, openai_completion, openai_moderation
from tests.mocks.scripted import ModelCatalog, Served
from tests.mocks.scripted import RecordedRequest as RecordedRequest  # noqa: PLC0414 (re-export)
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o")
SSE_CONTENT_TYPE = b"text/event-stream; charset=utf-8"
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})
_ROLES = frozenset({"developer", "system", "user", "assistant", "tool", "function"})
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using"
    " your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was"
    " not valid JSON.)"
)

_OPERATIONS: dict[str, Any] = {
    "/v1/completions": openai_completion,
    "/v1/moderations": openai_moderation,
    "/v1/rerank": jina_rerank,
}

#: whole-answer operations whose wire lives in its own module (images, audio, Responses,
#: files): `(method, path prefix)` → handler(request) → (status, content type, body). A module
#: registers itself with `register_operation`; the mock tries them before answering 404.
WireHandler = Callable[["RecordedRequest"], tuple[int, bytes, bytes]]
WIRE_OPERATIONS: dict[tuple[str, str], WireHandler] = {}


def register_operation(method: str, path_prefix: str, handler: WireHandler) -> None:
    WIRE_OPERATIONS[(method, path_prefix)] = handler


@dataclass(frozen=True)
class Text:
    """Answer with this assistant text."""

    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCalls:
    """Answer with (parallel) function calls: ``(name, arguments_json_string)`` pairs."""

    calls: list[tuple[str, str]]
    content: str | None = None


@dataclass(frozen=True)
class Error:
    """Answer with an OpenAI error body; ``type`` defaults from the status like the real API."""

    status: int
    message: str
    type: str | None = None
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Sleep (cancelled if the client disconnects), then answer with ``then`` or the echo."""

    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class SlowStream:
    """Always stream: one ``piece`` content chunk every ``interval`` seconds (first at once)."""

    interval: float
    chunks: int = 10_000
    piece: str = "tick "


@dataclass(frozen=True)
class RawBody:
    """Send these exact bytes, for malformed or unexpected upstream answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Reply = Text | ToolCalls | Error | Delay | SlowStream | RawBody


def _usage(prompt: int, completion: int) -> JSON:
    details = ["reasoning", "audio", "accepted_prediction", "rejected_prediction"]
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {f"{name}_tokens": 0 for name in details},
    }


def _envelope(kind: str, model: str) -> JSON:
    """The fields every completion and every chunk carries."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_mock",
    }


def _words(text: str) -> int:
    return len(text.split())


def _pieces(text: str) -> list[str]:
    """Split like a tokenizer would ("Hello", " world"); the pieces concatenate to ``text``."""
    return re.findall(r"\s*\S+|\s+", text)


def _split_args(arguments: str) -> list[str]:
    """At least two pieces whenever possible, so clients must really concatenate."""
    size = max(1, min(8, (len(arguments) + 1) // 2))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def _content_text(content: Any) -> tuple[str, int]:
    """(joined text, number of image parts) of a message ``content``."""
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        return "", 0
    texts = [p["text"] for p in content if p.get("type") == "text"]
    images = sum(1 for p in content if p.get("type") == "image_url")
    return " ".join(texts), images


def _validate(body: Any) -> tuple[str, str | None, str | None] | None:
    """Return (message, param, code) for a request the real API would reject with a 400."""
    if not isinstance(body, dict):
        return "Invalid type for request body: expected an object.", None, "invalid_type"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter", None, None
    messages = body.get("messages")
    if messages is None:
        return "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
    if not isinstance(messages, list) or not messages:
        return "Invalid 'messages': expected a non-empty array.", "messages", "empty_array"
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in _ROLES:
            return f"Invalid value for 'messages[{i}].role'.", f"messages[{i}].role", None
        content = msg.get("content")
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list):
            return f"Invalid type for 'messages[{i}].content'.", f"messages[{i}].content", None
        for j, part in enumerate(content):
            where = f"messages[{i}].content[{j}]"
            if not isinstance(part, dict) or part.get("type") not in _PART_TYPES:
                return f"Invalid value for '{where}.type'.", f"{where}.type", "invalid_value"
            if part["type"] == "text" and not isinstance(part.get("text"), str):
                return f"Missing required parameter: '{where}.text'.", f"{where}.text", None
            image = part.get("image_url")
            if part["type"] == "image_url" and not (
                isinstance(image, dict) and isinstance(image.get("url"), str)
            ):
                return f"Missing required parameter: '{where}.image_url.url'.", where, None
    return None


class _Chunks:
    """Writes ``chat.completion.chunk`` SSE events for one streamed response."""

    def __init__(self, send: Send, headers: list[tuple[bytes, bytes]], model: str, usage: bool):
        self._send, self._headers, self._usage = send, headers, usage
        self._base = _envelope("chat.completion.chunk", model)

    async def start(self) -> None:
        headers = [(b"content-type", SSE_CONTENT_TYPE), (b"cache-control", b"no-cache")]
        await self._send(
            {"type": "http.response.start", "status": 200, "headers": headers + self._headers}
        )

    async def _event(self, payload: JSON) -> None:
        data = b"data: " + orjson.dumps(payload) + b"\n\n"
        await self._send({"type": "http.response.body", "body": data, "more_body": True})

    async def delta(self, delta: JSON, finish_reason: str | None = None) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        payload = {**self._base, "choices": [choice]}
        if self._usage:
            payload["usage"] = None
        await self._event(payload)

    async def finish(self, finish_reason: str, usage: JSON) -> None:
        await self.delta({}, finish_reason)
        if self._usage:
            await self._event({**self._base, "choices": [], "usage": usage})
        await self._send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})


class OpenAIUpstream(ModelCatalog[Reply]):
    """The ASGI app plus its thread-safe scripting and recording API (``enqueue``d replies
    are consumed one per valid chat-completions request)."""

    _header_join = ", "

    def __init__(self, *, models: Sequence[str] = DEFAULT_MODELS) -> None:
        super().__init__(models)

    @property
    def disconnects(self) -> int:
        with self._lock:
            return self._disconnects

    @property
    def active_requests(self) -> int:
        with self._lock:
            return self._active

    def clear(self) -> None:
        """Forget recorded requests and disconnects (queued replies are kept)."""
        self._forget(queue=False)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        method, path = request.method, request.path
        if method == "POST" and path == "/v1/chat/completions":
            return await self._chat(request, receive, send)
        if method == "POST" and path == "/v1/embeddings":
            status, answer = openai_embeddings(request.json)
            if status != 200:
                return await self._error(
                    send, Error(status, answer["message"], param=answer["param"])
                )
            return await self._json(send, 200, answer)
        if method == "POST" and path in _OPERATIONS:  # completions, moderations, rerank
            status, answer = _OPERATIONS[path](request.json)
            if isinstance(answer, bytes):  # a whole completion stream
                return await self._send(send, status, answer, [(b"content-type", SSE_CONTENT_TYPE)])
            return await self._json(send, status, answer)
        if method == "GET" and path == "/v1/models":
            ids = self._model_ids()
            model = {"object": "model", "created": 1686935002, "owned_by": "system"}
            data = [{"id": m, **model} for m in ids]
            return await self._json(send, 200, {"object": "list", "data": data})
        for (verb, prefix), handler in WIRE_OPERATIONS.items():
            if method == verb and (path == prefix or path.startswith(prefix + "/")):
                status, content_type, body = handler(request)
                return await self._send(send, status, body, [(b"content-type", content_type)])
        await self._error(send, Error(404, f"Invalid URL ({method} {path})"))

    async def _chat(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        body = request.json
        if body is None:
            return await self._error(send, Error(400, _BAD_JSON))
        problem = _validate(body)
        if problem is not None:
            text, param, code = problem
            return await self._error(send, Error(400, text, param=param, code=code))
        reply = self._next_reply()
        while isinstance(reply, Delay):
            if await self._watch(receive, asyncio.sleep(reply.seconds)):
                return
            reply = reply.then
        if reply is None:
            reply = self._echo(body["messages"])
        if isinstance(reply, Error):
            return await self._error(send, reply)
        if isinstance(reply, RawBody):
            extra = [(b"content-type", reply.content_type.encode()), *_encode(reply.headers)]
            return await self._send(send, reply.status, reply.body, extra)
        model: str = body["model"]
        prompt = max(1, sum(_words(_content_text(m.get("content"))[0]) for m in body["messages"]))
        options = body.get("stream_options")
        usage = isinstance(options, dict) and options.get("include_usage") is True
        if isinstance(reply, SlowStream) or body.get("stream") is True:
            chunks = _Chunks(send, self._std_headers(), model, usage)
            await self._watch(receive, self._stream(chunks, reply, prompt))
            return
        message: JSON = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
        if isinstance(reply, Text):
            message["content"], finish = reply.text, reply.finish_reason
            completion = _words(reply.text)
        else:
            message["content"], finish = reply.content, "tool_calls"
            completion = _tool_words(reply)
            message["tool_calls"] = [
                {"id": _call_id(), "type": "function", "function": {"name": n, "arguments": a}}
                for n, a in reply.calls
            ]
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
        usage_obj = _usage(prompt, completion)
        completion_obj = {**_envelope("chat.completion", model), "choices": [choice]}
        await self._json(send, 200, {**completion_obj, "usage": usage_obj})

    @staticmethod
    def _echo(messages: list[JSON]) -> Text:
        for msg in reversed(messages):
            if msg.get("role") == "user":
                text, images = _content_text(msg.get("content"))
                return Text(f"echo: {text}" + (f" [images: {images}]" if images else ""))
        return Text("echo: ")

    async def _stream(
        self, out: _Chunks, reply: Text | ToolCalls | SlowStream, prompt: int
    ) -> None:
        await out.start()
        if isinstance(reply, SlowStream):
            await out.delta({"role": "assistant", "content": ""})
            for i in range(reply.chunks):
                if i:
                    await asyncio.sleep(reply.interval)
                await out.delta({"content": reply.piece})
            return await out.finish("stop", _usage(prompt, _words(reply.piece) * reply.chunks))
        text = reply.text if isinstance(reply, Text) else reply.content
        role: JSON = {"role": "assistant", "content": "" if text is not None else None}
        if text is not None:
            await out.delta(role)
            role = {}
            for piece in _pieces(text):
                await out.delta({"content": piece})
        if isinstance(reply, Text):
            return await out.finish(reply.finish_reason, _usage(prompt, _words(reply.text)))
        assert isinstance(reply, ToolCalls)
        for index, (name, arguments) in enumerate(reply.calls):
            fn = {"name": name, "arguments": ""}
            first = {"index": index, "id": _call_id(), "type": "function", "function": fn}
            await out.delta({**role, "tool_calls": [first]})
            role = {}
            for piece in _split_args(arguments):
                frag = {"index": index, "function": {"arguments": piece}}
                await out.delta({"tool_calls": [frag]})
        await out.finish("tool_calls", _usage(prompt, _tool_words(reply)))

    @staticmethod
    def _std_headers() -> list[tuple[bytes, bytes]]:
        return [
            (b"x-request-id", f"req_{uuid.uuid4().hex}".encode()),
            (b"openai-version", b"2020-10-01"),
            (b"openai-processing-ms", b"1"),
        ]

    async def _send(
        self, send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode()), *self._std_headers()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _json(
        self, send: Send, status: int, obj: Any, headers: dict[str, str] | None = None
    ) -> None:
        extra = [(b"content-type", b"application/json"), *_encode(headers or {})]
        await self._send(send, status, orjson.dumps(obj), extra)

    async def _error(self, send: Send, error: Error) -> None:
        default = "server_error" if error.status >= 500 else "invalid_request_error"
        kind = error.type or ("requests" if error.status == 429 else default)
        body = {"message": error.message, "type": kind, "param": error.param, "code": error.code}
        await self._json(send, error.status, {"error": body}, error.headers)


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _tool_words(reply: ToolCalls) -> int:
    words = sum(_words(name) + _words(args) for name, args in reply.calls)
    return words + (_words(reply.content) if reply.content else 0)


class MockOpenAI(Served, OpenAIUpstream):
    """``OpenAIUpstream`` served on 127.0.0.1 by a background uvicorn thread.

    ``base_url`` is ``http://127.0.0.1:PORT`` (append ``/v1`` for SDK clients)."""

    def __init__(
        self,
        *,
        models: Sequence[str] = DEFAULT_MODELS,
        port: int = 0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(models=models)
        self.server = ThreadedServer(self, port=port, tls=tls)
