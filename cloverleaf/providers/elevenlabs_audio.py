"""ElevenLabs' audio wire, translated from and to OpenAI's audio API. Pure: values in, values out.

Text to speech: `POST /v1/text-to-speech/{voice_id}?output_format=...` with
`{"text", "model_id", "voice_settings"?}`, answered with the audio bytes.
- `input` → `text`, `model` → `model_id`.
- `voice` → the voice id in the path, as given (a custom voice's `{"id"}` too): OpenAI's names
  (`alloy`, ...) are no ElevenLabs voices and are sent as ids, which ElevenLabs refuses with its
  404; a client of ElevenLabs names an ElevenLabs voice id there.
- `response_format` → `output_format`: OpenAI's formats at the rates OpenAI uses where
  ElevenLabs has them (pcm and wav at 24 kHz like OpenAI's, mp3 at 44.1 kHz/128 kbit/s, opus at
  48 kHz); aac and flac do not exist there and are refused with a 400.
- `speed` → `voice_settings.speed` (ElevenLabs judges its range).
- `instructions` (gpt-4o-mini-tts' voice steering) and `stream_format: "sse"` have no
  ElevenLabs equivalent and are refused: dropping them would change the answer.

Speech to text: `POST /v1/speech-to-text`, a multipart form of `model_id`, `file`,
`language_code`, `temperature`, `timestamps_granularity`, answered with
`{"language_code", "language_probability", "text", "words": [{"text", "start", "end", "type"}]}`.
OpenAI's `prompt` is a spelling hint ElevenLabs has no field for: it is left out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.audio.multipart import Form, Part
from cloverleaf.formats.audio.speech import SpeechRequest
from cloverleaf.formats.audio.transcription import Transcript, TranscriptionRequest, Word

OUTPUT_FORMATS = {
    "mp3": "mp3_44100_128",
    "opus": "opus_48000_128",
    "pcm": "pcm_24000",
    "wav": "wav_24000",
}
#: (field, the one value ElevenLabs can honour): anything else is refused
_SPEECH_FIELDS_REFUSED = (("instructions", None), ("stream_format", "audio"))


def speech_call(request: SpeechRequest, model: str) -> tuple[str, bytes]:
    """(path under /v1 with its query, JSON body) of a text-to-speech call."""
    output_format = OUTPUT_FORMATS.get(request.response_format)
    if output_format is None:
        raise bad_request(
            f"ElevenLabs cannot produce {request.response_format}: use one of "
            f"{', '.join(sorted(OUTPUT_FORMATS))}",
            param="response_format",
            code="unsupported_value",
        )
    refused = [
        name
        for name, allowed in _SPEECH_FIELDS_REFUSED
        if request.body.get(name) not in (None, "", allowed)
    ]
    if refused:
        raise bad_request(
            f"{refused[0]} is not supported by ElevenLabs",
            param=refused[0],
            code="unsupported_parameter",
        )
    body: dict[str, Any] = {"text": request.input, "model_id": model}
    if request.speed is not None:
        body["voice_settings"] = {"speed": request.speed}
    path = f"/text-to-speech/{quote(request.voice, safe='')}?output_format={output_format}"
    return path, orjson.dumps(body)


def transcription_form(request: TranscriptionRequest, model: str) -> Form:
    """The speech-to-text form; word timestamps always, so every OpenAI format can be drawn."""
    if request.stream:
        raise bad_request("stream is not supported by ElevenLabs transcriptions", param="stream")
    file = request.file
    parts = [
        Part("model_id", model.encode()),
        Part("file", file.data, file.filename or "audio", file.content_type),
        Part("timestamps_granularity", b"word"),
    ]
    if request.language:
        parts.append(Part("language_code", request.language.strip().encode()))
    if request.temperature:
        parts.append(Part("temperature", request.temperature.strip().encode()))
    return Form(tuple(parts))


def decode_transcript(body: bytes, duration: Decimal | None) -> Transcript:
    """ElevenLabs' answer as a transcript; `duration` when the caller knows it (a WAV's own)."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise GatewayError(
            502,
            "unreadable ElevenLabs transcription: no text",
            type="server_error",
            code="bad_upstream_response",
        )
    words = tuple(
        Word(w["text"].strip(), float(w["start"]), float(w["end"]))
        for w in data.get("words") or ()
        if isinstance(w, dict)
        and w.get("type", "word") == "word"
        and isinstance(w.get("text"), str)
        and isinstance(w.get("start"), int | float)
        and isinstance(w.get("end"), int | float)
    )
    language = data.get("language_code")
    return Transcript(
        text=data["text"],
        language=language if isinstance(language, str) else None,
        duration=duration,
        words=words,
    )
