"""`client.audio.transcriptions.create` with a real WAV through the gateway to OpenAI, Azure,
Groq and ElevenLabs, in every format; malformed forms refused naming the field."""

from __future__ import annotations

from typing import Literal

import httpx
import openai
import pytest

from tests.e2e.audio.conftest import Mocks, wav_file
from tests.mocks.audio_wire import form_fields

HEARD = "heard 1.50 seconds of audio"


def test_openai_gets_the_form_with_its_model_and_the_same_file(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    audio = wav_file(1.5)
    answer = client.audio.transcriptions.create(
        model="openai/whisper-1", file=("talk.wav", audio, "audio/wav"), language="en"
    )
    assert answer.text == HEARD
    sent = upstreams.openai.last_request
    fields = form_fields(sent)
    assert fields is not None
    assert fields["model"] == [(b"whisper-1", None)]
    assert fields["file"] == [(audio, "talk.wav")]
    assert fields["language"] == [(b"en", None)]
    assert "boundary=cloverleaf-" in sent.headers["content-type"]


@pytest.mark.parametrize("provider", ["openai", "azure", "groq"])
def test_openai_wire_formats(client: openai.OpenAI, upstreams: Mocks, provider: str) -> None:
    model = f"{provider}/" + ("whisper-large-v3" if provider == "groq" else "whisper-1")
    audio = ("a.wav", wav_file(1.5))
    verbose = client.audio.transcriptions.create(
        model=model, file=audio, response_format="verbose_json"
    )
    assert (verbose.text, verbose.duration, verbose.language) == (HEARD, 1.5, "english")
    text = client.audio.transcriptions.create(model=model, file=audio, response_format="text")
    assert text == HEARD + "\n"
    if provider == "azure":
        assert {c.deployment for c in upstreams.azure.calls} == {"my-whisper"}
    if provider == "groq":
        assert len(upstreams.groq.calls) == 2  # served under Groq's /openai/v1 prefix
        assert form_fields(upstreams.groq.last_request)["model"] == [(b"whisper-large-v3", None)]  # type: ignore[index]


def test_elevenlabs_json_and_its_form(client: openai.OpenAI, upstreams: Mocks) -> None:
    audio = wav_file(1.5)
    answer = client.audio.transcriptions.create(
        model="elevenlabs/scribe_v1", file=("a.wav", audio), language="de", prompt="ignored"
    )
    assert answer.text == HEARD
    fields = form_fields(upstreams.elevenlabs.last_request)
    assert fields is not None
    assert upstreams.elevenlabs.last_request.path == "/v1/speech-to-text"
    assert fields["model_id"] == [(b"scribe_v1", None)]
    assert fields["file"] == [(audio, "a.wav")]
    assert fields["language_code"] == [(b"de", None)]
    assert "prompt" not in fields and "model" not in fields


def test_elevenlabs_verbose_json_has_words_and_segments(client: openai.OpenAI) -> None:
    verbose = client.audio.transcriptions.create(
        model="elevenlabs/scribe_v1",
        file=("a.wav", wav_file(1.5)),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert (verbose.text, verbose.duration, verbose.language) == (HEARD, 1.5, "en")
    assert verbose.words is not None and [w.word for w in verbose.words] == HEARD.split()
    assert verbose.words[0].start == 0.0 and verbose.words[-1].end <= 1.5
    assert verbose.segments is not None and verbose.segments[0].text.strip() == HEARD
    assert verbose.usage is not None and verbose.usage.seconds == 2


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("text", HEARD + "\n"),
        # the mock's five words span 0.3 s each, the last ending 0.03 s early
        ("srt", "1\n00:00:00,000 --> 00:00:01,470\n" + HEARD + "\n\n"),
        ("vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.470\n" + HEARD + "\n\n"),
    ],
)
def test_elevenlabs_plain_formats(
    client: openai.OpenAI, fmt: Literal["text", "srt", "vtt"], expected: str
) -> None:
    answer = client.audio.transcriptions.create(
        model="elevenlabs/scribe_v1",
        file=("a.wav", wav_file(1.5)),
        response_format=fmt,
    )
    assert answer == expected


def test_elevenlabs_refuses_diarized_json(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(
            model="elevenlabs/scribe_v1",
            file=("a.wav", wav_file(0.5)),
            response_format="diarized_json",
        )
    assert caught.value.body["param"] == "response_format"  # type: ignore[index]
    assert upstreams.elevenlabs.requests == []


def _post(url: str, **kwargs: object) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=20) as http:
        return http.post(url + "/v1/audio/transcriptions", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"data": {"model": "openai/whisper-1"}, "files": {"other": ("a", b"x")}}, "file"),
        (
            {
                "data": {"model": "openai/whisper-1", "file": "not a file part"},
                "files": {"x": ("a", b"x")},
            },
            "file",
        ),
        ({"files": {"file": ("a.wav", wav_file(0.1))}}, "model"),
        (
            {
                "data": {"model": "openai/whisper-1", "response_format": "mp3"},
                "files": {"file": ("a.wav", wav_file(0.1))},
            },
            "response_format",
        ),
    ],
)
def test_a_form_missing_a_field_names_it(
    gateway_url: str, kwargs: dict[str, object], param: str
) -> None:
    answer = _post(gateway_url, **kwargs)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "multipart/form-data; boundary=xyz"},
        {"content-type": "application/json"},
        {"content-type": "multipart/form-data"},
    ],
)
def test_a_malformed_body_is_a_400(
    gateway_url: str, upstreams: Mocks, headers: dict[str, str]
) -> None:
    body = b'--xyz\r\nContent-Disposition: form-data; name="model"\r\n\r\nopenai/whisper-1\r\n'
    answer = _post(gateway_url, content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_multipart"
    assert upstreams.openai.requests == []
