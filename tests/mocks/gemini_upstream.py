"""A wire-exact mock of the Gemini API (generativelanguage.googleapis.com) for gateway tests.

A raw ASGI app speaking /work/shared/providers/gemini.md: `models/{m}:generateContent`,
`:streamGenerateContent` (SSE with `?alt=sse`, else one JSON array), `:countTokens`, and the
paginated model list, under `/v1beta` and `/v1` (google-genai 3.x defaults to `/v1`). The key
comes in `x-goog-api-key` or `?key=`. Replies are scripted FIFO from the test thread (one lock
guards all shared state); by default the last user turn is echoed as "echo: <text>" with word
counts as token counts, so gateway tests can assert exact usage.
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from tests.mocks.embeddings_wire import gemini_embed
from tests.mocks.images_wire import gemini_image, imagen_predict
from tests.mocks.scripted import ModelCatalog, Served
from tests.mocks.scripted import RecordedRequest as RecordedRequest  # noqa: PLC0414 (re-export)
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
Headers = Sequence[tuple[bytes, bytes]]
DEFAULT_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001")
DEFAULT_KEYS = ("test-key",)
_PATH = re.compile(r"/(v1beta|v1)/models(?:/([^/:]+)(?::([A-Za-z]+))?)?")
EMBED_ACTIONS = ("embedContent", "batchEmbedContents")
_ACTIONS = ("generateContent", "streamGenerateContent", "countTokens", *EMBED_ACTIONS, "predict")
_DATA_FIELDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse")
#: the OpenAPI `Schema` fields `parameters` accepts; anything else is "Cannot find field"
_SCHEMA_WORDS = (
    "type format title description nullable enum maxItems minItems properties required"
    " minProperties maxProperties minLength maxLength pattern example anyOf propertyOrdering"
    " default items minimum maximum"
)
_SCHEMA_FIELDS = frozenset(_SCHEMA_WORDS.split())
_RPC = "type.googleapis.com/google.rpc."
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"} | {
    404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}  # fmt: skip
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity)."
    " Please use API Key or other form of API consumer identity to call this API."
)


@dataclass(frozen=True)
class Text:
    text: str
    finish_reason: str = "STOP"


@dataclass(frozen=True)
class ToolCalls:
    """(Parallel) function calls as ``(name, args)``; ``ids`` adds Vertex-style call ids."""

    calls: list[tuple[str, JSON]]
    text: str | None = None
    ids: bool = False
    signature: str | None = None  # a `thoughtSignature` on the first functionCall part


@dataclass(frozen=True)
class Thinking:
    """Thought-summary parts, then the answer; the signature rides on the last answer part."""

    thought: str
    text: str
    signature: str = "c2lnbmF0dXJlLTE="


@dataclass(frozen=True)
class Blocked:
    """The prompt is blocked: no candidates, ``promptFeedback.blockReason``, HTTP 200."""

    reason: str = "SAFETY"


@dataclass(frozen=True)
class Error:
    """A Google RPC error. ``reason`` adds an ErrorInfo, ``retry_delay`` a RetryInfo ("7s").
    For streams, ``after_chunks`` sends that many echo chunks, then the error in band."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    status_name: str | None = None
    reason: str | None = None
    retry_delay: str | None = None
    after_chunks: int | None = None


@dataclass(frozen=True)
class Delay:
    """Sleep (cancelled if the client disconnects), then answer with ``then`` or the echo."""

    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class SlowStream:
    """An SSE stream (`alt=sse` only) of one ``piece`` every ``interval`` s, the first at once."""

    interval: float
    chunks: int = 10_000
    piece: str = "tick "


@dataclass(frozen=True)
class RawBody:
    """Send these exact bytes, for malformed or unexpected upstream answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


Reply = Text | ToolCalls | Thinking | Blocked | Error | Delay | SlowStream | RawBody
Answer = Text | ToolCalls | Thinking | Blocked


def error_body(error: Error, field: str | None = None) -> JSON:
    status = error.status_name or _STATUS.get(error.status, "UNKNOWN")
    body: JSON = {"code": error.status, "message": error.message, "status": status}
    details: list[JSON] = []
    if error.reason:
        meta = {"service": "generativelanguage.googleapis.com"}
        details.append(
            {"@type": _RPC + "ErrorInfo", "reason": error.reason, "domain": "googleapis.com",
             "metadata": meta}
        )  # fmt: skip
    if error.retry_delay:
        details.append({"@type": _RPC + "RetryInfo", "retryDelay": error.retry_delay})
    if field:
        violation = {"field": field, "description": error.message.strip()}
        details.append({"@type": _RPC + "BadRequest", "fieldViolations": [violation]})
    return {"error": body | ({"details": details} if details else {})}


def _words(text: str) -> int:
    return len(text.split())


def _pieces(text: str) -> list[str]:
    """Split like a tokenizer would ("Hello", " world"); the pieces concatenate to ``text``."""
    return re.findall(r"\s*\S+|\s+", text) or [text]


def _texts(content: Any) -> list[str]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return [
        p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)
    ]


def _prompt_words(body: JSON) -> int:
    texts = _texts(body.get("systemInstruction") or body.get("system_instruction"))
    texts += [t for content in body.get("contents") or () for t in _texts(content)]
    return sum(_words(t) for t in texts)


def _echo(contents: list[Any]) -> Text:
    """The last user turn: its text (+ an image count), or else its function responses."""
    for content in reversed(contents):
        if content.get("role", "user") != "user":
            continue
        parts = [p for p in content.get("parts") or () if isinstance(p, dict)]
        text = " ".join(_texts(content))
        media = sum(1 for p in parts if "inlineData" in p or "fileData" in p)
        answers = [p["functionResponse"] for p in parts if "functionResponse" in p]
        if answers and not text:
            text = "; ".join(
                f"{a['name']}: {orjson.dumps(a['response']).decode()}" for a in answers
            )
        return Text(f"echo: {text}" + (f" [images: {media}]" if media else ""))
    return Text("echo: ")


def _schema_problem(schema: Any, where: str) -> str | None:
    if isinstance(schema, list):
        return next((p for s in schema if (p := _schema_problem(s, where))), None)
    if not isinstance(schema, dict):
        return None
    for key, value in schema.items():
        if key not in _SCHEMA_FIELDS:
            return f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."
        nested = list(value.values()) if key == "properties" and isinstance(value, dict) else value
        if key in ("properties", "items", "anyOf") and (problem := _schema_problem(nested, where)):
            return problem
    return None


def _validate(body: JSON) -> tuple[str, str] | None:
    """(message, field) for a body the real API rejects with 400 INVALID_ARGUMENT."""
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified\n", "contents"
    for i, content in enumerate(contents):
        if not isinstance(content, dict) or content.get("role", "user") not in ("user", "model"):
            return "Please use a valid role: user, model.", f"contents[{i}].role"
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            where = f"contents[{i}].parts"
            return f"* GenerateContentRequest.{where}: contents.parts must not be empty.\n", where
        for j, part in enumerate(parts):
            where = f"contents[{i}].parts[{j}]"
            kinds = [k for k in _DATA_FIELDS if isinstance(part, dict) and k in part]
            if not kinds:
                why = "required oneof field 'data' must have one initialized field"
                return f"* GenerateContentRequest.{where}.data: {why}\n", f"{where}.data"
            if kinds[0].startswith("function") and not part[kinds[0]].get("name"):
                return f"* GenerateContentRequest.{where}: Name cannot be empty.\n", where
    for i, tool in enumerate(body.get("tools") or ()):
        for j, declaration in enumerate(tool.get("functionDeclarations") or ()):
            where = f"tools[{i}].function_declarations[{j}].parameters"
            if problem := _schema_problem(declaration.get("parameters"), where):
                return problem, where
    return None


def _model_entry(model: str) -> JSON:
    embedding = "embedding" in model
    entry: JSON = {
        "name": f"models/{model}", "version": "001", "displayName": model.title(),
        "description": f"Mock {model}", "inputTokenLimit": 1048576,
        "outputTokenLimit": 3072 if embedding else 65536,
        "supportedGenerationMethods": ["embedContent", "countTokens"] if embedding
        else ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
    }  # fmt: skip
    if not embedding:
        entry |= {"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": True}
    return entry


class _Chunks:
    """The GenerateContentResponse chunks of one answer (a non-stream answer is one chunk)."""

    def __init__(self, model: str, prompt: int) -> None:
        self.model, self.prompt, self.id = model, prompt, uuid.uuid4().hex[:22]

    def chunk(
        self, parts: list[JSON], finish: str | None = None, out: int = 0, thought: int = 0
    ) -> JSON:
        """Every chunk repeats running usage; only the last has finishReason and output counts."""
        candidate: JSON = {"content": {"parts": parts, "role": "model"}}
        usage: JSON = {"promptTokenCount": self.prompt}
        if finish is not None:
            candidate["finishReason"], usage["candidatesTokenCount"] = finish, out
        if thought:
            usage["thoughtsTokenCount"] = thought
        usage["totalTokenCount"] = self.prompt + out + thought
        return self.envelope({"candidates": [candidate | {"index": 0}], "usageMetadata": usage})

    def envelope(self, body: JSON) -> JSON:
        return body | {"modelVersion": self.model, "responseId": self.id}

    def answer(self, reply: Answer, stream: bool) -> list[JSON]:
        if isinstance(reply, Blocked):
            rating = {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
            feedback = {"blockReason": reply.reason, "safetyRatings": [rating | {"blocked": True}]}
            usage = {"promptTokenCount": self.prompt, "totalTokenCount": self.prompt}
            return [self.envelope({"promptFeedback": feedback, "usageMetadata": usage})]
        if isinstance(reply, ToolCalls):
            calls: list[JSON] = [
                {"functionCall": {"name": n, "args": a} | ({"id": f"fc-{i}"} if reply.ids else {})}
                for i, (n, a) in enumerate(reply.calls)
            ]
            if reply.signature and calls:
                calls[0]["thoughtSignature"] = reply.signature
            words = sum(_words(n) + _words(orjson.dumps(a).decode()) for n, a in reply.calls)
            text = [{"text": reply.text}] if reply.text else []
            return [self.chunk(text + calls, "STOP", words + _words(reply.text or ""))]
        thinking = isinstance(reply, Thinking)
        thought = reply.thought if isinstance(reply, Thinking) else ""
        pieces = [{"text": p} for p in (_pieces(reply.text) if stream else [reply.text])]
        if isinstance(reply, Thinking):
            pieces[-1]["thoughtSignature"] = reply.signature
        finish = reply.finish_reason if isinstance(reply, Text) else "STOP"
        counts = (_words(reply.text), _words(thought))
        thoughts = [
            {"text": p, "thought": True} for p in (_pieces(thought) if stream else [thought])
        ]
        head = thoughts if thinking else []
        if not stream:
            return [self.chunk(head + pieces, finish, *counts)]
        running = [self.chunk([p], thought=counts[1]) for p in head + pieces[:-1]]
        return [*running, self.chunk(pieces[-1:], finish, *counts)]


class MockGemini(Served, ModelCatalog[Reply]):
    """The ASGI app, its thread-safe scripting and recording API, and the 127.0.0.1 server.

    Queued replies are consumed one per valid generate call (countTokens takes none);
    ``base_url`` is what the SDK's ``HttpOptions(base_url=...)`` wants."""

    def __init__(
        self,
        *,
        models: Sequence[str] = DEFAULT_MODELS,
        api_keys: Sequence[str] | None = DEFAULT_KEYS,
        port: int = 0,
    ) -> None:
        """``api_keys=None`` accepts any non-empty key."""
        super().__init__(models)
        self._keys = None if api_keys is None else frozenset(api_keys)
        self.server = ThreadedServer(self, port=port)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        key = request.headers.get("x-goog-api-key") or query.get("key")
        if not key:  # the real API answers 403 here, not 401
            return await self._error(send, Error(403, _NO_KEY))
        if self._keys is not None and key not in self._keys:
            message = "API key not valid. Please pass a valid API key."
            return await self._error(send, Error(400, message, reason="API_KEY_INVALID"))
        match = _PATH.fullmatch(request.path)
        version, model, action = match.groups() if match else (None, None, None)
        getting = request.method == "GET" and action is None
        if not match or not (
            getting or (request.method == "POST" and model and action in _ACTIONS)
        ):
            return await self._error(send, Error(404, f"Method not found: {request.path}"))
        models = self._model_ids()
        if model is not None and model not in models:
            why = f"is not found for API version {version}, or is not supported for {action}"
            hint = "Call ListModels to see the list of available models and their supported"
            hint += " methods."
            return await self._error(send, Error(404, f"models/{model} {why}. {hint}"))
        if getting:
            found = _model_entry(model) if model else _page(models, query)
            return await self._json(send, 200, found)
        body = request.json
        assert model is not None  # POST routes all name a model
        if not isinstance(body, dict):
            return await self._error(send, Error(400, "Invalid JSON payload received."))
        if action in EMBED_ACTIONS:
            status, answer = gemini_embed(body, model, action == "batchEmbedContents")
            if isinstance(answer, str):
                return await self._error(send, Error(status, answer))
            return await self._json(send, status, answer)
        if action == "predict" or (action == "generateContent" and "-image" in model):
            code, image = imagen_predict(body, False) if action == "predict" else gemini_image(body)
            if isinstance(image, str):
                return await self._error(send, Error(code, image))
            return await self._json(send, code, image)
        if action == "countTokens":
            inner = body.get("generateContentRequest")
            total = _prompt_words(inner if isinstance(inner, dict) else body)
            details = [{"modality": "TEXT", "tokenCount": total}]
            counted = {"totalTokens": total, "promptTokensDetails": details}
            return await self._json(send, 200, counted)
        if problem := _validate(body):
            return await self._error(send, Error(400, problem[0]), field=problem[1])
        streamed = action == "streamGenerateContent"
        stream = "sse" if streamed and query.get("alt") == "sse" else streamed
        await self._generate(body, model, stream, receive, send)

    async def _generate(
        self, body: JSON, model: str, stream: str | bool, receive: Receive, send: Send
    ) -> None:
        """``stream``: "sse", True (one JSON array of chunks) or False (one response)."""
        reply = self._next_reply()
        while isinstance(reply, Delay):
            if await self._watch(receive, asyncio.sleep(reply.seconds)):
                return
            reply = reply.then
        if isinstance(reply, Error) and (not stream or reply.after_chunks is None):
            return await self._error(send, reply)
        if isinstance(reply, RawBody):
            return await self._send(send, reply.status, reply.body, reply.content_type.encode())
        out, echo = _Chunks(model, max(1, _prompt_words(body))), _echo(body["contents"])
        if isinstance(reply, SlowStream):
            if stream != "sse":
                return await self._error(send, Error(400, "SlowStream needs ?alt=sse"))
            return await self._stream(send, receive, _slow(out, reply))
        chunks = out.answer(reply if isinstance(reply, Answer) else echo, bool(stream))
        if isinstance(reply, Error):
            chunks = [*out.answer(echo, True)[: reply.after_chunks], error_body(reply)]
        if stream == "sse":
            return await self._stream(send, receive, _listed(chunks))
        await self._json(send, 200, chunks if stream else chunks[0])

    async def _stream(self, send: Send, receive: Receive, chunks: AsyncIterator[JSON]) -> None:
        """SSE events end in CRLF CRLF, as Google's do; there is no closing event."""

        async def run() -> None:
            async for chunk in chunks:
                data = b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

        kind = [(b"content-type", b"text/event-stream"), (b"x-content-type-options", b"nosniff")]
        await send({"type": "http.response.start", "status": 200, "headers": kind})
        await self._watch(receive, run())

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, kind: bytes, extra: Headers = ()) -> None:
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _json(self, send: Send, status: int, obj: Any, extra: Headers = ()) -> None:
        await self._send(send, status, orjson.dumps(obj), b"application/json; charset=UTF-8", extra)

    async def _error(self, send: Send, error: Error, field: str | None = None) -> None:
        extra = [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
        await self._json(send, error.status, error_body(error, field), extra)


def _page(models: list[str], query: dict[str, str]) -> JSON:
    """``pageSize`` (default 50) and an opaque ``pageToken``/``nextPageToken``."""
    size, token = min(int(query.get("pageSize") or 50), 1000), query.get("pageToken")
    start = int(base64.b64decode(token)) if token else 0
    page: JSON = {"models": [_model_entry(m) for m in models[start : start + size]]}
    if start + size < len(models):
        page["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
    return page


async def _listed(chunks: list[JSON]) -> AsyncIterator[JSON]:
    for chunk in chunks:
        yield chunk


async def _slow(out: _Chunks, reply: SlowStream) -> AsyncIterator[JSON]:
    for i in range(reply.chunks):
        await asyncio.sleep(reply.interval if i else 0)
        yield out.chunk([{"text": reply.piece}])
    yield out.chunk([{"text": ""}], "STOP", _words(reply.piece) * reply.chunks)
