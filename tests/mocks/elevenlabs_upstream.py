"""A wire-exact mock of ElevenLabs' text-to-speech and speech-to-text for gateway tests.

A raw ASGI app: `POST /v1/text-to-speech/{voice_id}?output_format=...` with
`{"text", "model_id", "voice_settings"?}` answers audio bytes (10 ms of tone per character,
shaped by `output_format`: `pcm_R` bare samples at R Hz, `wav_R` a WAV, `mp3_*`/`opus_*` the
samples behind a marker), sent in two chunks; `POST /v1/speech-to-text` (multipart `model_id`,
`file`) answers `{"language_code", "language_probability", "text", "words"}` derived from the
file like the OpenAI mock's transcriptions; `GET /v1/models` lists models. `xi-api-key` must be
`API_KEY`; errors are ElevenLabs' `{"detail": {"status", "message"}}`, and FastAPI's 422 list for
a bad value. `hold()` makes the next speech answer wait after its first chunk until `release()`,
so a test can see the gateway relay audio before the upstream finished.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from tests.mocks.audio_wire import encoded, form_fields, heard, samples
from tests.mocks.scripted import RecordedRequest, ScriptedUpstream, Served
from tests.mocks.server_thread import Receive, Send, ThreadedServer

API_KEY = "el-test-key"
MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "scribe_v1")
_CONTENT_TYPES = {
    "mp3": b"audio/mpeg",
    "opus": b"audio/opus",
    "pcm": b"audio/pcm",
    "wav": b"audio/wav",
}
_TTS = "/v1/text-to-speech/"


@dataclass(frozen=True)
class Error:
    """Answer the next audio request with ElevenLabs' error body."""

    status: int
    message: str
    status_code: str = "error"


class MockElevenLabs(Served, ScriptedUpstream[Error]):
    def __init__(self) -> None:
        super().__init__()
        self.server = ThreadedServer(self)
        self._held = threading.Event()
        self._released = threading.Event()

    def hold(self) -> None:
        self._released.clear()
        self._held.set()

    def release(self) -> None:
        self._released.set()

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        if request.headers.get("xi-api-key") != API_KEY:
            return await _detail(send, 401, "invalid_api_key", "Invalid API key")
        if request.method == "GET" and request.path == "/v1/models":
            models = [{"model_id": m, "name": m} for m in MODELS]
            return await _send(send, 200, b"application/json", orjson.dumps(models))
        scripted = self._next_reply()
        if scripted is not None:
            return await _detail(send, scripted.status, scripted.status_code, scripted.message)
        if request.method == "POST" and request.path.startswith(_TTS):
            return await self._speech(request, send)
        if request.method == "POST" and request.path == "/v1/speech-to-text":
            return await _transcription(request, send)
        await _detail(send, 404, "not_found", f"{request.method} {request.path} not found")

    async def _speech(self, request: RecordedRequest, send: Send) -> None:
        body = request.json
        query = dict(p.split("=", 1) for p in request.query.split("&") if "=" in p)
        fmt = query.get("output_format", "mp3_44100_128")
        codec, _, rest = fmt.partition("_")
        if codec not in _CONTENT_TYPES or not rest.split("_")[0].isdigit():
            return await _invalid(send, ["query", "output_format"], f"invalid output_format {fmt}")
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return await _invalid(send, ["body", "text"], "Field required")
        settings = body.get("voice_settings") or {}
        speed = settings.get("speed", 1.0)
        if not 0.7 <= speed <= 1.2:
            return await _invalid(send, ["body", "voice_settings", "speed"], "speed out of range")
        rate = int(rest.split("_")[0])
        audio = encoded(codec, samples(body["text"], rate), rate)
        half = len(audio) // 2
        headers = [(b"content-type", _CONTENT_TYPES[codec])]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": audio[:half], "more_body": True})
        if self._held.is_set():
            self._held.clear()
            await asyncio.to_thread(self._released.wait, 10)
        await send({"type": "http.response.body", "body": audio[half:]})


async def _transcription(request: RecordedRequest, send: Send) -> None:
    fields = form_fields(request)
    if fields is None:
        return await _detail(send, 400, "invalid_multipart", "could not parse the form")
    model = fields.get("model_id", [(b"", None)])[0][0].decode()
    if model not in MODELS:
        return await _invalid(send, ["body", "model_id"], "Field required")
    files = [item for item in fields.get("file", []) if item[1] is not None]
    if not files:
        return await _detail(send, 400, "invalid_file", "Exactly one of file or url is required")
    text, seconds = heard(files[0][0])
    length = seconds if seconds is not None else 1.0
    words: list[dict[str, Any]] = []
    tokens = text.split()
    step = length / len(tokens)
    for index, token in enumerate(tokens):
        start, end = round(index * step, 3), round((index + 1) * step - step / 10, 3)
        if index:
            words.append({"text": " ", "start": start, "end": start, "type": "spacing"})
        words.append({"text": token, "start": start, "end": end, "type": "word", "logprob": 0.0})
    language = fields.get("language_code", [(b"en", None)])[0][0].decode()
    answer = {
        "language_code": language,
        "language_probability": 0.98,
        "text": text,
        "words": words,
    }
    await _send(send, 200, b"application/json", orjson.dumps(answer))


async def _send(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _detail(send: Send, status: int, code: str, message: str) -> None:
    body = {"detail": {"status": code, "message": message}}
    await _send(send, status, b"application/json", orjson.dumps(body))


async def _invalid(send: Send, loc: list[str], message: str) -> None:
    body = {"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}
    await _send(send, 422, b"application/json", orjson.dumps(body))
