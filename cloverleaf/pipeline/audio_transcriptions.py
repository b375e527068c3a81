"""Speech to text (`/v1/audio/transcriptions`) through the gateway.

OpenAI-wire targets (OpenAI, Azure, Groq, ...) get the client's form again, always re-encoded
with a fresh boundary: the model almost always changes (`openai/whisper-1` → `whisper-1`) and
gateway-only fields go, and one path is simpler than two; the file's bytes are written
unchanged. Their answer goes back as it came. ElevenLabs gets its own form, and its answer is
rendered in the `response_format` the client asked for.

Billed by seconds of audio: the answer's own (`usage.seconds`, `duration`), else the WAV
header's, else (ElevenLabs) the last word's end; token usage too when the upstream reports it.
The worst case reserved is the WAV header's length, or for other files their size at 8 kbit/s
(formats/audio/wav.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.audio.multipart import Form, encode_form
from cloverleaf.formats.audio.transcription import (
    GATEWAY_FIELDS,
    RENDERED,
    TranscriptionRequest,
    Word,
    render_transcript,
)
from cloverleaf.formats.audio.wav import wav_duration, worst_case_seconds
from cloverleaf.pipeline.audio_targets import AudioWire, checked_wire, openai_audio_url
from cloverleaf.pipeline.count_tokens import CHARS_PER_TOKEN
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import record_of
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.elevenlabs_audio import decode_transcript, transcription_form
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import UpstreamRequest

REQUEST_TYPE = "transcription"
_OPERATION = "/audio/transcriptions"
#: audio tokens a second of speech costs a token-billed model (gpt-4o-transcribe bills about
#: 600 a minute), used for the token side of the reservation
_TOKENS_PER_SECOND = 10


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    status: int
    content_type: str
    body: bytes
    remote_ms: float


async def run_transcription(
    gateway: Gateway, request: TranscriptionRequest, request_id: str
) -> TranscriptionResult:
    seconds = worst_case_seconds(request.file.data)

    def check(target: Target) -> None:
        if request.stream:
            raise bad_request("stream is not supported for transcriptions", param="stream")
        if checked_wire(target, REQUEST_TYPE) is AudioWire.ELEVENLABS:
            transcription_form(request, target.model)
            if request.response_format not in RENDERED:
                raise bad_request(
                    f"response_format {request.response_format} cannot be drawn from "
                    f"{target.route.name}'s answer: use one of {', '.join(sorted(RENDERED))}",
                    param="response_format",
                )

    def estimate() -> tuple[int, int | None]:
        audio = math.ceil(seconds * _TOKENS_PER_SECOND)
        prompt = math.ceil(len(request.prompt or "") / CHARS_PER_TOKEN)
        return audio + prompt, audio

    async def run(targets: list[Target]) -> TranscriptionResult:
        opened = await open_upstream(
            targets, lambda t, k: _build(request, t, k), gateway.transport, gateway.rng
        )
        return await _result(gateway, opened, request, request_id)

    return await run_targeted(
        gateway,
        request.model,
        request.fallbacks,
        check=check,
        estimate=estimate,
        run=run,
        request_type=REQUEST_TYPE,
        units=lambda: Usage(audio_seconds=seconds),
    )


def _build(request: TranscriptionRequest, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    if checked_wire(target, REQUEST_TYPE) is AudioWire.ELEVENLABS:
        form = transcription_form(request, model)
        url = route.url(key, "/speech-to-text")
    else:
        form = request.form.without(GATEWAY_FIELDS).with_value("model", model)
        url = openai_audio_url(target, key, model, _OPERATION, REQUEST_TYPE)
    body, content_type = _encoded(form)
    headers = [("content-type", content_type), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile)


def _encoded(form: Form) -> tuple[bytes, str]:
    """The form under a random boundary, drawn again in the unlikely case a part holds it."""
    while True:
        try:
            return encode_form(form, "cloverleaf-" + os.urandom(16).hex())
        except ValueError:
            continue


async def _result(
    gateway: Gateway, opened: Opened, request: TranscriptionRequest, request_id: str
) -> TranscriptionResult:
    target = opened.target
    status = 500
    usage: Usage | None = None
    try:
        try:
            answer = opened.first or b""
        finally:
            await opened.aclose()
        wav = wav_duration(request.file.data)
        if checked_wire(target, REQUEST_TYPE) is AudioWire.ELEVENLABS:
            transcript = decode_transcript(answer, wav)
            heard = wav if wav is not None else _last_end(transcript.words)
            body, content_type = render_transcript(
                transcript, request.response_format, request.granularities
            )
            usage = Usage(audio_seconds=heard or Decimal(0))
        else:
            body = answer
            content_type = opened.response.header("content-type") or "application/json"
            usage = forwarded_usage(answer, wav)
        status = opened.response.status
        return TranscriptionResult(status, content_type, body, opened.remote_ms)
    except GatewayError as error:
        status = error.status
        error.provider = error.provider or target.route.name
        raise
    finally:
        gateway.record(
            record_of(opened, request_id, False, usage, status, request_type=REQUEST_TYPE)
        )


def _last_end(words: tuple[Word, ...]) -> Decimal | None:
    ends = [w.end for w in words]
    return Decimal(str(max(ends))) if ends else None


def forwarded_usage(answer: bytes, wav: Decimal | None) -> Usage:
    """Seconds and tokens from an OpenAI-shaped answer: `usage` (`duration` or `tokens`),
    verbose_json's `duration`; the WAV header's seconds when the answer has none (text, srt,
    vtt answers carry no usage)."""
    try:
        data: Any = orjson.loads(answer)
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return Usage(audio_seconds=wav or Decimal(0))
    raw = data.get("usage")
    raw = raw if isinstance(raw, dict) else {}
    seconds = _number(raw.get("seconds")) if raw.get("type") == "duration" else None
    seconds = seconds if seconds is not None else _number(data.get("duration"))
    audio_seconds = seconds if seconds is not None else (wav or Decimal(0))
    if raw.get("type") != "tokens":
        return Usage(audio_seconds=audio_seconds)
    prompt = _count(raw.get("input_tokens"))
    completion = _count(raw.get("output_tokens"))
    total = _count(raw.get("total_tokens")) or prompt + completion
    return Usage(prompt, completion, total, audio_seconds=audio_seconds)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
