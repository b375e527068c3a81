"""A wire-exact mock of a native Ollama server (/work/shared/providers/ollama.md) for tests.

NDJSON streams ON unless `"stream": false`; whole tool calls with OBJECT arguments; `{"error"}`
bodies and mid-stream lines; 404 `model 'x' not found`. Replies are consumed FIFO, one per valid
chat/generate call (default: echo the last user text with word-count usage): `Text`, `Thinking`,
`ToolCalls([(name, args_object)])`, `Error(status, message)`, `StreamError` (text, then an error
line; non-stream: 500), `Delay`, `SlowStream`, `RawBody` (exact bytes).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from tests.mocks.scripted import ModelCatalog
from tests.mocks.scripted import RecordedRequest as RecordedRequest  # noqa: PLC0414 (re-export)
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
DEFAULT_MODELS = ("llama3.2:latest", "qwen3:8b", "all-minilm:latest")
NDJSON = b"application/x-ndjson"
JSON_TYPE = b"application/json; charset=utf-8"
_MODIFIED = "2025-05-04T17:37:44.706015396-07:00"
_ROLES = frozenset({"system", "user", "assistant", "tool"})
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BAD_ARGS = "json: cannot unmarshal string into Go value of type api.ToolCallFunctionArguments"


@dataclass(frozen=True)
class Text:
    text: str
    done_reason: str = "stop"


@dataclass(frozen=True)
class ToolCalls:
    calls: list[tuple[str, JSON]]
    content: str = ""


@dataclass(frozen=True)
class Thinking:
    thinking: str
    text: str


@dataclass(frozen=True)
class Error:
    status: int
    message: str


@dataclass(frozen=True)
class StreamError:
    message: str
    text: str = ""


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


Reply = Text | ToolCalls | Thinking | Error | StreamError | Delay | SlowStream | RawBody
Answer = Text | ToolCalls | Thinking | StreamError


class MockOllama(ModelCatalog[Reply], ThreadedServer):
    """A 127.0.0.1 server (``ollama.Client(host=mock.base_url)``) + its app + scripting API."""

    def __init__(self, *, models: Sequence[str] = DEFAULT_MODELS, port: int = 0) -> None:
        ModelCatalog.__init__(self, models)
        ThreadedServer.__init__(self, self, port=port)

    @property
    def last_request(self) -> RecordedRequest:
        return self.requests[-1]  # IndexError (a LookupError) when nothing was recorded

    def set_models(self, names: Sequence[str]) -> None:
        super().set_models(names)

    def clear(self) -> None:
        """Forget recorded requests and disconnects (queued replies are kept)."""
        self._forget(queue=False)

    def _find(self, name: Any) -> str | None:
        """Ollama's tag defaults to ``latest``: ``llama3.2`` names ``llama3.2:latest``."""
        full = name if ":" in str(name) else f"{name}:latest"
        with self._lock:
            return next((m for m in self._models if m in (name, full)), None)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        route, body = f"{request.method} {request.path}", request.json
        if route in ("POST /api/chat", "POST /api/generate"):
            return await self._answer(request.path == "/api/chat", body, receive, send)
        if route == "GET /api/tags":
            return await _json(send, 200, {"models": [_tag(n) for n in list(self._models)]})
        if route == "GET /api/version":
            return await _json(send, 200, {"version": "0.12.6"})
        if route in ("POST /api/show", "POST /api/embed"):
            model = body.get("model") if isinstance(body, dict) else None
            name = self._find(model)
            if name is None:
                return await _json(send, 404, {"error": f"model '{model}' not found"})
            show = request.path == "/api/show"
            return await _json(send, 200, _show(name) if show else _embed(name, body.get("input")))
        await _send(send, 404, b"404 page not found", b"text/plain")

    async def _answer(self, chat: bool, body: Any, receive: Receive, send: Send) -> None:
        problem = _problem(chat, body)
        if problem is not None:
            return await _json(send, 400, {"error": problem})
        if self._find(body["model"]) is None:
            return await _json(send, 404, {"error": f"model '{body['model']}' not found"})
        lines = _Lines(body["model"], chat)
        reply = self._next_reply()
        while isinstance(reply, Delay):
            if await self._watch(receive, asyncio.sleep(reply.seconds)):
                return
            reply = reply.then
        if isinstance(reply, Error):
            return await _json(send, reply.status, {"error": reply.message})
        if isinstance(reply, RawBody):
            return await _send(send, reply.status, reply.body, reply.content_type.encode())
        reply = reply or _echo(body, chat)
        prompt = max(1, _prompt_words(body, chat))
        if body.get("stream") is False and not isinstance(reply, SlowStream):
            if isinstance(reply, StreamError):
                return await _json(send, 500, {"error": reply.message})
            fields, reason, completion = _content(reply)
            return await _json(send, 200, lines.final(reason, prompt, completion, **fields))
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": [(b"content-type", NDJSON)]})
        await self._watch(receive, lines.stream(send, reply, prompt))


def _problem(chat: bool, body: Any) -> str | None:
    """The 400 message real Ollama gives for a body it cannot bind, else None."""
    if not isinstance(body, dict):
        return "invalid character looking for beginning of value"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model is required"
    for msg in (body.get("messages") or ()) if chat else [body]:
        if not isinstance(msg, dict) or (chat and msg.get("role") not in _ROLES):
            return "invalid message role"
        text = msg.get("content" if chat else "prompt")
        if text is not None and not isinstance(text, str):
            return "json: cannot unmarshal array into Go struct field .content of type string"
        if not all(isinstance(i, str) and _BASE64.fullmatch(i) for i in msg.get("images") or ()):
            return "illegal base64 data at input byte 4"  # e.g. a data: URI instead of bare base64
        for call in msg.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("arguments"), dict):
                return _BAD_ARGS
    return None


class _Lines:
    """The objects of one answer, in `/api/chat` (``message``) or `/api/generate` shape."""

    def __init__(self, model: str, chat: bool) -> None:
        self.model, self.chat = model, chat

    def delta(self, text: str = "", thinking: str = "", calls: list[JSON] | None = None) -> JSON:
        head = {"model": self.model, "created_at": _now()}
        if not self.chat:
            thought = {"thinking": thinking} if thinking else {}
            return {**head, "response": text, **thought, "done": False}
        message: JSON = {"role": "assistant", "content": text}
        if thinking:
            message["thinking"] = thinking
        if calls:
            message["tool_calls"] = calls
        return {**head, "message": message, "done": False}

    def final(self, reason: str, prompt: int, completion: int, **fields: Any) -> JSON:
        out = {**self.delta(**fields), "done": True, "done_reason": reason}
        out.update({} if self.chat else {"context": [1, 2, 3]})
        out.update(total_duration=5_000_000, load_duration=1_000_000, prompt_eval_count=prompt)
        out.update(prompt_eval_duration=1_000_000, eval_count=completion, eval_duration=2_000_000)
        return out

    async def stream(self, send: Send, reply: Answer | SlowStream, prompt: int) -> None:
        async def line(obj: JSON, end: bool = False) -> None:
            body = orjson.dumps(obj) + b"\n"
            await send({"type": "http.response.body", "body": body, "more_body": not end})

        if isinstance(reply, SlowStream):
            for i in range(reply.chunks):
                await asyncio.sleep(reply.interval if i else 0)
                await line(self.delta(reply.piece))
            return await line(self.final("stop", prompt, reply.chunks * _words(reply.piece)), True)
        fields, reason, completion = _content(reply)
        for piece in _pieces(fields.get("thinking", "")):
            await line(self.delta(thinking=piece))
        for piece in _pieces(fields["text"]):
            await line(self.delta(piece))
        if fields.get("calls"):
            await line(self.delta(calls=fields["calls"]))
        error = isinstance(reply, StreamError) and {"error": reply.message}
        await line(error or self.final(reason, prompt, completion), True)


def _content(reply: Answer) -> tuple[JSON, str, int]:
    """(delta fields, done_reason, eval_count) of a whole answer."""
    if isinstance(reply, ToolCalls):
        calls = [
            {"function": {"index": i, "name": name, "arguments": args}}
            for i, (name, args) in enumerate(reply.calls)
        ]
        words = sum(_words(n) + len(a) for n, a in reply.calls) + _words(reply.content)
        return {"text": reply.content, "calls": calls}, "stop", words
    if isinstance(reply, Thinking):
        words = _words(reply.thinking) + _words(reply.text)
        return {"text": reply.text, "thinking": reply.thinking}, "stop", words
    reason = reply.done_reason if isinstance(reply, Text) else "stop"
    return {"text": reply.text}, reason, _words(reply.text)


def _words(text: str) -> int:
    return len(text.split())


def _pieces(text: str) -> list[str]:
    """Tokenizer-like pieces ("Hello", " world") that concatenate back to ``text``."""
    return re.findall(r"\s*\S+|\s+", text)


def _now() -> str:
    """Ollama's timestamps carry nanoseconds: parsers that choke on 9 digits should fail here."""
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"


def _echo(body: JSON, chat: bool) -> Text:
    users = [m for m in body.get("messages") or () if m.get("role") == "user"] if chat else [body]
    source = users[-1] if users else {}
    images = len(source.get("images") or ())
    text = source.get("content" if chat else "prompt") or ""
    return Text(f"echo: {text}" + (f" [images: {images}]" if images else ""))


def _prompt_words(body: JSON, chat: bool) -> int:
    if chat:
        return sum(_words(m.get("content") or "") for m in body.get("messages") or ())
    return _words(body.get("system") or "") + _words(body.get("prompt") or "")


def _tag(name: str) -> JSON:
    stamp = {"modified_at": _MODIFIED, "size": 2019393189}
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {"name": name, "model": name, **stamp, "digest": digest, "details": _details(name)}


def _details(name: str) -> JSON:
    family = re.sub(r"[\d.:].*$", "", name) or "llama"
    size = {"parameter_size": "3.2B", "quantization_level": "Q4_K_M"}
    return {"parent_model": "", "format": "gguf", "family": family, "families": [family], **size}


def _show(name: str) -> JSON:
    capabilities = ["embedding"] if "minilm" in name else ["completion", "tools"]
    capabilities += ["thinking"] if name.startswith("qwen3") else []
    details = _details(name)
    info = {"general.architecture": details["family"], "general.parameter_count": 3212749888}
    files = {"modelfile": f"FROM {name}\n", "parameters": "stop <|eot_id|>"}
    extra = {"template": "{{ .Prompt }}", "modified_at": _MODIFIED, "capabilities": capabilities}
    return {**files, **extra, "details": details, "model_info": info}


def _embed(name: str, value: Any) -> JSON:
    texts = [value] if isinstance(value, str) else list(value or [])
    vectors = [[math.cos(len(t)), math.sin(len(t)), 0.0] for t in texts]  # unit length
    timing = {"total_duration": 14143917, "load_duration": 1019500}
    return {"model": name, "embeddings": vectors, **timing, "prompt_eval_count": len(texts)}


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, obj: Any) -> None:
    await _send(send, status, orjson.dumps(obj), JSON_TYPE)
