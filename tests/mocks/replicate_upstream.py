"""A wire-exact mock of Replicate's predictions API (openai-compatible.md, "Replicate").

Create on all three paths (`/v1/models/{o}/{n}/predictions`, `/v1/predictions` with a
`version`, `/v1/deployments/{o}/{n}/predictions`), `GET /v1/predictions/{id}`,
`POST /v1/predictions/{id}/cancel`, and the event stream at `urls.stream`
(`GET /v1/streams/{id}`; `stream_base` puts it on another origin, as production does).
Errors are problem+json. A Bearer token is required everywhere.

Replies are consumed FIFO, one per valid create (default: echo the prompt):
  Text(text, wait=True, polls=1, interval=0, hold=0)  the answer. With `Prefer: wait` and
      `wait` the create returns it finished; otherwise it returns `starting` (after holding the
      create `hold` seconds, as the real API holds it for its wait window, up to 60 s; a client
      leaving meanwhile is a disconnect), the next `polls` GETs say `processing`, then
      `succeeded`. Streams send one `output` event per word piece, `interval` seconds apart,
      then `done`.
  Failed(error, wait=True, polls=1)           the prediction ends `failed`; its stream sends
      the pieces of `text`, then an `error` event.
  NoStream(text)                              a model without streaming output: no urls.stream.
  Error(status, title, detail, retry_after)   the create answers problem+json.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.mocks.scripted import RecordedRequest, ScriptedUpstream
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
CREATE = re.compile(r"^/v1/(?:models|deployments)/([^/]+)/([^/]+)/predictions$")
ONE = re.compile(r"^/v1/predictions/([a-z0-9]+)(/cancel)?$")
STREAM = re.compile(r"^/v1/streams/([a-z0-9]+)$")
TERMINAL = ("succeeded", "failed", "canceled")
CREATED_AT = "2024-06-01T12:00:00.000000Z"


@dataclass(frozen=True)
class Text:
    text: str
    wait: bool = True
    polls: int = 1
    interval: float = 0.0
    hold: float = 0.0


@dataclass(frozen=True)
class Failed:
    error: str
    text: str = ""
    wait: bool = True
    polls: int = 1


@dataclass(frozen=True)
class NoStream:
    text: str


@dataclass(frozen=True)
class Error:
    status: int
    title: str
    detail: str
    retry_after: str | None = None


Reply = Text | Failed | NoStream | Error


@dataclass
class _Prediction:
    json: JSON
    reply: Text | Failed | NoStream
    pieces: list[str]
    polls_left: int
    canceled: asyncio.Event = field(default_factory=asyncio.Event)


def pieces(text: str) -> list[str]:
    """Tokenizer-like fragments ("Hello", " world") that join back to `text`."""
    return re.findall(r"\s*\S+|\s+", text)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSON:
    return {"title": title, "detail": detail, "status": status, **extra}


class MockReplicate(ScriptedUpstream[Reply], ThreadedServer):
    """A 127.0.0.1 server (`replicate.Client(base_url=mock.base_url)`) + scripting API."""

    def __init__(self, *, port: int = 0) -> None:
        ScriptedUpstream.__init__(self)
        ThreadedServer.__init__(self, self, port=port)
        self._predictions: dict[str, _Prediction] = {}
        #: where `urls.stream` points (None: this server), like stream.replicate.com
        self.stream_base: str | None = None

    def reset(self) -> None:
        """Also forget every prediction."""
        super().reset()
        with self._lock:
            self._predictions.clear()

    def wait_for_cancel(self, timeout: float) -> bool:
        """Wait until some prediction was canceled through its cancel URL."""
        with self._lock:
            return self._lock.wait_for(
                lambda: any(p.canceled.is_set() for p in self._predictions.values()), timeout
            )

    def status_of(self, prediction_id: str) -> str:
        with self._lock:
            return str(self._predictions[prediction_id].json["status"])

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme not in ("Bearer", "Token") or not token:
            detail = "You did not pass a valid authentication token"
            return await _json(send, 401, problem(401, "Unauthenticated", detail))
        create = CREATE.match(request.path)
        one, stream = ONE.match(request.path), STREAM.match(request.path)
        if request.method == "POST" and (create or request.path == "/v1/predictions"):
            owner_name = f"{create[1]}/{create[2]}" if create else None
            return await self._create(request, owner_name, receive, send)
        if one and (request.method, bool(one[2])) in (("GET", False), ("POST", True)):
            return await self._get(one[1], bool(one[2]), send)
        if stream and request.method == "GET":
            return await self._stream(stream[1], receive, send)
        await _json(send, 404, {"detail": "Not found."})

    async def _create(
        self, request: RecordedRequest, model: str | None, receive: Receive, send: Send
    ) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        inputs, version = body.get("input"), body.get("version")
        if model is None and not isinstance(version, str):
            fields = [
                {"type": "required", "field": "version", "description": "version is required"}
            ]
            detail = "- version: version is required"
            return await _json(
                send, 422, problem(422, "Invalid request", detail, invalid_fields=fields)
            )
        if not isinstance(inputs, dict) or not isinstance(inputs.get("prompt"), str):
            fields = [
                {"type": "required", "field": "input.prompt", "description": "prompt is required"}
            ]
            detail = "- input.prompt: prompt is required"
            return await _json(send, 422, problem(422, "Input validation failed", detail, invalid_fields=fields))  # fmt: skip
        reply = self._next_reply() or Text("echo: " + inputs["prompt"])
        if isinstance(reply, Error):
            headers = [(b"retry-after", reply.retry_after.encode())] if reply.retry_after else []
            answer = problem(reply.status, reply.title, reply.detail)
            return await _json(send, reply.status, answer, headers)
        prediction = self._new(model or "owner/versioned", version, inputs, body, reply)
        waited = request.headers.get("prefer", "").startswith("wait")
        if waited and (isinstance(reply, NoStream) or reply.wait):
            self._finish(prediction)
        elif (
            waited
            and isinstance(reply, Text)
            and reply.hold
            and await self._watch(receive, asyncio.sleep(reply.hold))
        ):
            return  # the client left while the create was held
        await _json(send, 201, prediction.json)

    def _new(self, model: str, version: Any, inputs: JSON, body: JSON, reply: Any) -> _Prediction:
        pid = uuid.uuid4().hex[:26]
        text = reply.text
        base = self.base_url
        urls = {"get": f"{base}/v1/predictions/{pid}", "cancel": f"{base}/v1/predictions/{pid}/cancel"}  # fmt: skip
        if body.get("stream") is True and not isinstance(reply, NoStream):
            urls["stream"] = f"{self.stream_base or base}/v1/streams/{pid}"
        prompt_words = len((inputs["prompt"] + " " + str(inputs.get("system_prompt", ""))).split())
        json: JSON = {
            "id": pid, "model": model, "version": version if isinstance(version, str) else "dp-" + pid,
            "input": inputs, "logs": "", "output": None, "error": None, "status": "starting",
            "created_at": CREATED_AT, "started_at": None, "completed_at": None, "data_removed": False,
            "metrics": {"input_token_count": prompt_words}, "urls": urls,
        }  # fmt: skip
        polls = 0 if isinstance(reply, NoStream) else reply.polls
        prediction = _Prediction(json, reply, pieces(text), polls)
        with self._lock:
            self._predictions[pid] = prediction
        return prediction

    def _finish(self, prediction: _Prediction) -> None:
        json = prediction.json
        if json["status"] in TERMINAL:
            return
        failed = isinstance(prediction.reply, Failed)
        json["status"] = "failed" if failed else "succeeded"
        json["output"] = prediction.pieces
        json["error"] = prediction.reply.error if isinstance(prediction.reply, Failed) else None
        json["completed_at"] = CREATED_AT
        json["metrics"] = {**json["metrics"], "output_token_count": len(prediction.pieces), "predict_time": 0.1}  # fmt: skip

    async def _get(self, pid: str, cancel: bool, send: Send) -> None:
        with self._lock:
            prediction = self._predictions.get(pid)
            if prediction is not None and cancel:
                if prediction.json["status"] not in TERMINAL:
                    prediction.json["status"] = "canceled"
                prediction.canceled.set()
                self._lock.notify_all()
            elif prediction is not None and prediction.json["status"] not in TERMINAL:
                if prediction.polls_left > 0:
                    prediction.polls_left -= 1
                    prediction.json["status"] = "processing"
                else:
                    self._finish(prediction)
            answer = dict(prediction.json) if prediction else None
        if answer is None:
            return await _json(send, 404, {"detail": "Not found."})
        await _json(send, 200, answer)

    async def _stream(self, pid: str, receive: Receive, send: Send) -> None:
        with self._lock:
            prediction = self._predictions.get(pid)
        if prediction is None:
            return await _json(send, 404, {"detail": "Not found."})
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await self._watch(receive, self._events(prediction, send))

    async def _events(self, prediction: _Prediction, send: Send) -> None:
        reply, count = prediction.reply, 0

        async def event(name: str, data: str) -> None:
            nonlocal count
            lines = "".join(f"data: {line}\n" for line in data.split("\n"))
            frame = f"event: {name}\nid: 1690212292:{count}\n{lines}\n".encode()
            count += 1
            await send({"type": "http.response.body", "body": frame, "more_body": True})

        await event("logs", "Loading model")
        for piece in prediction.pieces:
            if prediction.canceled.is_set():
                break
            await event("output", piece)
            if isinstance(reply, Text) and reply.interval:
                await asyncio.sleep(reply.interval)
        with self._lock:
            canceled = prediction.canceled.is_set()
            if not canceled:
                self._finish(prediction)
        if isinstance(reply, Failed):
            await event("error", orjson.dumps({"detail": reply.error}).decode())
        await event("done", '{"reason":"canceled"}' if canceled else "{}")
        await send({"type": "http.response.body", "body": b""})


async def _json(send: Send, status: int, obj: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:  # fmt: skip
    body = orjson.dumps(obj)
    kind = b"application/problem+json" if status >= 400 else b"application/json"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
