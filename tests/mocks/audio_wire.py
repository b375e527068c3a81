"""OpenAI's audio operations on the OpenAI mock (and, through it, the Azure front): registered
at import with `register_operation`.

`POST /v1/audio/speech` answers deterministic audio: 10 ms of a 24 kHz 16-bit mono tone per
character of `input` (a real WAV for `wav`, the bare samples for `pcm`, the samples behind a
marker for the compressed formats, which a mock cannot encode), with OpenAI's content type.
`POST /v1/audio/transcriptions` parses the multipart form with python-multipart like a server
would and answers a text derived from the file: "heard N.NN seconds of audio" from a WAV's
header (the stdlib `wave` module, not the gateway's parser), "heard N bytes of audio" for
anything else; in json, verbose_json, text, srt or vtt, with OpenAI's `usage` (seconds for
whisper models, tokens for gpt-4o ones).
"""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any

import orjson
from python_multipart.multipart import MultipartParser, parse_options_header

from tests.mocks.openai_upstream import RecordedRequest, register_operation

SAMPLE_RATE = 24_000
MS_PER_CHAR = 10
CONTENT_TYPES = {
    "mp3": b"audio/mpeg",
    "opus": b"audio/ogg",
    "aac": b"audio/aac",
    "flac": b"audio/flac",
    "wav": b"audio/wav",
    "pcm": b"audio/pcm",
}
Answer = tuple[int, bytes, bytes]


def samples(text: str, rate: int = SAMPLE_RATE) -> bytes:
    """10 ms of 16-bit mono samples per character, a tone whose pitch follows the text."""
    count = rate * MS_PER_CHAR * len(text) // 1000
    pitch = 200 + sum(text.encode()) % 400
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
        for i in range(count)
    )


def wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(pcm)
    return out.getvalue()


def encoded(fmt: str, pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    if fmt == "wav":
        return wav_bytes(pcm, rate)
    if fmt == "pcm":
        return pcm
    return f"MOCK-{fmt.upper()}\n".encode() + pcm


def _error(status: int, message: str, param: str | None = None) -> Answer:
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return status, b"application/json", orjson.dumps({"error": body})


def _authorised(request: RecordedRequest) -> bool:
    """A Bearer key (OpenAI, Groq) or Azure's `api-key`, as the fronts forward them."""
    bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return bool(bearer) or bool(request.headers.get("api-key"))


def speech(request: RecordedRequest) -> Answer:
    if not _authorised(request):
        return _error(401, "You didn't provide an API key.")
    body = request.json
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(400, "you must provide a model parameter", "model")
    text = body.get("input")
    if not isinstance(text, str) or not text:
        return _error(400, "Missing required parameter: 'input'.", "input")
    if not isinstance(body.get("voice"), str | dict):
        return _error(400, "Missing required parameter: 'voice'.", "voice")
    fmt = body.get("response_format", "mp3")
    if fmt not in CONTENT_TYPES:
        return _error(400, f"Invalid value: '{fmt}'.", "response_format")
    return 200, CONTENT_TYPES[fmt], encoded(fmt, samples(text))


def form_fields(request: RecordedRequest) -> dict[str, list[tuple[bytes, str | None]]] | None:
    """name → [(data, filename)] of a multipart body; None when it does not parse."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or b"boundary" not in options:
        return None
    fields: dict[str, list[tuple[bytes, str | None]]] = {}
    state: dict[str, Any] = {}

    def header(data: bytes, start: int, end: int) -> None:
        state["value"] = state.get("value", b"") + data[start:end]

    def header_end() -> None:
        if state.pop("field", b"").lower() == b"content-disposition":
            state["disposition"] = parse_options_header(state.get("value", b""))[1]
        state.pop("value", None)

    def part_end() -> None:
        options = state.pop("disposition", {})
        name = options.get(b"name", b"").decode()
        filename = options.get(b"filename")
        item = (bytes(state.pop("data", b"")), filename.decode() if filename else None)
        fields.setdefault(name, []).append(item)

    callbacks: Any = {
        "on_header_field": lambda d, s, e: state.__setitem__(
            "field", state.get("field", b"") + d[s:e]
        ),
        "on_header_value": header,
        "on_header_end": header_end,
        "on_part_data": lambda d, s, e: state.__setitem__("data", state.get("data", b"") + d[s:e]),
        "on_part_end": part_end,
    }
    try:
        parser = MultipartParser(options[b"boundary"], callbacks)
        parser.write(request.body)
        parser.finalize()
    except ValueError:
        return None
    return fields


def wav_seconds(data: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(data)) as file:
            frames: int = file.getnframes()
            rate: int = file.getframerate()
            return frames / rate
    except (wave.Error, EOFError):
        return None


def heard(data: bytes) -> tuple[str, float | None]:
    """The transcript of a file and its length in seconds (None when it is not a WAV)."""
    seconds = wav_seconds(data)
    if seconds is None:
        return f"heard {len(data)} bytes of audio", None
    return f"heard {seconds:.2f} seconds of audio", seconds


def transcription(request: RecordedRequest) -> Answer:
    if not _authorised(request):
        return _error(401, "You didn't provide an API key.")
    fields = form_fields(request)
    if fields is None:
        return _error(400, "Could not parse multipart form", None)
    files = [item for item in fields.get("file", []) if item[1] is not None]
    if not files:
        return _error(400, "Missing required parameter: 'file'.", "file")
    model = fields.get("model", [(b"", None)])[0][0].decode()
    if not model:
        return _error(400, "you must provide a model parameter", "model")
    fmt = fields.get("response_format", [(b"json", None)])[0][0].decode()
    text, seconds = heard(files[0][0])
    length = seconds if seconds is not None else 1.0
    if fmt in ("text", "srt", "vtt"):
        return 200, b"text/plain; charset=utf-8", _plain(fmt, text, length).encode()
    usage: dict[str, Any] = {"type": "duration", "seconds": math.ceil(length)}
    if model.startswith("gpt-4o"):
        audio = math.ceil(length * 10)
        words = len(text.split())
        usage = {
            "type": "tokens",
            "input_tokens": audio,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
            "output_tokens": words,
            "total_tokens": audio + words,
        }
    body: dict[str, Any] = {"text": text, "usage": usage}
    if fmt == "verbose_json":
        segment = {"id": 0, "seek": 0, "start": 0.0, "end": length, "text": " " + text}
        body = {"task": "transcribe", "language": "english", "duration": length, **body}
        body["segments"] = [segment]
    elif fmt != "json":
        return _error(400, f"Invalid value: '{fmt}'.", "response_format")
    return 200, b"application/json", orjson.dumps(body)


def _plain(fmt: str, text: str, seconds: float) -> str:
    if fmt == "text":
        return text + "\n"
    millis = round(seconds * 1000)
    stamp = f"00:00:{millis // 1000:02d}{',' if fmt == 'srt' else '.'}{millis % 1000:03d}"
    start = "00:00:00,000" if fmt == "srt" else "00:00:00.000"
    if fmt == "srt":
        return f"1\n{start} --> {stamp}\n{text}\n\n"
    return f"WEBVTT\n\n{start} --> {stamp}\n{text}\n\n"


register_operation("POST", "/v1/audio/speech", speech)
register_operation("POST", "/v1/audio/transcriptions", transcription)
