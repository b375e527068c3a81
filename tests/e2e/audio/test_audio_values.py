"""The pure pieces behind the audio routes, value in and value out: WAV lengths, multipart
round trips, ElevenLabs' error bodies, the usage read from OpenAI's transcription answers."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.audio.multipart import Form, Part, encode_form, parse_form
from cloverleaf.formats.audio.wav import wav_duration, worst_case_seconds
from cloverleaf.pipeline.audio_transcriptions import forwarded_usage
from cloverleaf.providers.elevenlabs import ElevenLabsDialect
from tests.e2e.audio.conftest import wav_file


def test_wav_duration_matches_the_wave_module() -> None:
    assert wav_duration(wav_file(1.25)) == Decimal("1.250")
    assert wav_duration(wav_file(2, rate=8000)) == Decimal("2.000")
    assert wav_duration(b"ID3\x04not a wav") is None
    assert wav_duration(wav_file(1)[:30]) is None  # a header cut before its data chunk


def test_worst_case_of_an_unknown_file_is_its_size_at_8_kbits() -> None:
    assert worst_case_seconds(b"\xff" * 10_500) == 11
    assert worst_case_seconds(wav_file(3)) == 3


def test_a_form_survives_a_round_trip_with_binary_bytes() -> None:
    audio = bytes(range(256)) * 40 + b"\r\n--almost-a-boundary\r\n"
    form = Form((Part("file", audio, 'we"ird.wav', "audio/wav"), Part("model", b"whisper-1")))
    body, content_type = encode_form(form, "b-1")
    assert parse_form(body, content_type) == form


def test_a_boundary_inside_a_part_is_refused_so_another_is_drawn() -> None:
    with pytest.raises(ValueError, match="boundary"):
        encode_form(Form((Part("file", b"xx--b-1xx", "a"),)), "b-1")


def test_with_value_replaces_in_place_and_drops_repeats() -> None:
    form = Form((Part("model", b"a"), Part("file", b"f", "f"), Part("model", b"b")))
    assert form.with_value("model", "m").parts == (Part("model", b"m"), Part("file", b"f", "f"))


@pytest.mark.parametrize(
    ("body", "message", "code", "param"),
    [
        (
            {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}},
            "Invalid API key",
            "invalid_api_key",
            None,
        ),
        (
            {"detail": [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]},
            "Field required",
            "missing",
            "text",
        ),
        ({"detail": "plain"}, "plain", None, None),
    ],
)
def test_elevenlabs_errors(body: object, message: str, code: str | None, param: str | None) -> None:
    error = ElevenLabsDialect().parse_error(422, orjson.dumps(body), "elevenlabs")
    assert (error.message, error.code, error.param, error.provider) == (
        message,
        code,
        param,
        "elevenlabs",
    )


def test_elevenlabs_refuses_chat() -> None:
    with pytest.raises(GatewayError, match="audio only"):
        ElevenLabsDialect().encode_request(None, "eleven_multilingual_v2")  # type: ignore[arg-type]


def test_forwarded_usage_reads_seconds_tokens_or_the_wav() -> None:
    seconds = orjson.dumps({"text": "x", "usage": {"type": "duration", "seconds": 9}})
    assert forwarded_usage(seconds, Decimal("8.5")).audio_seconds == 9
    verbose = orjson.dumps({"text": "x", "duration": 8.47})
    assert forwarded_usage(verbose, None).audio_seconds == Decimal("8.47")
    tokens = orjson.dumps(
        {"text": "x", "usage": {"type": "tokens", "input_tokens": 14, "output_tokens": 45}}
    )
    usage = forwarded_usage(tokens, Decimal("1.5"))
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (14, 45, 59)
    assert usage.audio_seconds == Decimal("1.5")
    assert forwarded_usage(b"plain text answer\n", Decimal("2.25")).audio_seconds == Decimal("2.25")
