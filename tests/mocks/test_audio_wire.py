"""The OpenAI mock's audio operations must be what the `openai` SDK sends and parses."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.mocks import audio_wire
from tests.mocks.audio_wire import samples, wav_bytes, wav_seconds
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module")
def mock() -> Iterator[MockOpenAI]:
    assert audio_wire.SAMPLE_RATE == 24_000  # the module registered its operations
    with MockOpenAI() as server:
        yield server


@pytest.fixture
def oai(mock: MockOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=mock.base_url + "/v1", api_key="sk", max_retries=0, timeout=10
    ) as sdk:
        yield sdk


def test_speech_is_a_wav_as_long_as_the_input(oai: openai.OpenAI) -> None:
    answer = oai.audio.speech.create(
        model="tts-1", voice="alloy", input="hello there", response_format="wav"
    )
    assert answer.response.headers["content-type"] == "audio/wav"
    assert wav_seconds(answer.content) == pytest.approx(0.11)
    mp3 = oai.audio.speech.create(model="tts-1", voice="alloy", input="hello there")
    assert mp3.response.headers["content-type"] == "audio/mpeg"
    assert mp3.content.startswith(b"MOCK-MP3\n") and mp3.content.endswith(samples("hello there"))


def test_speech_refuses_a_missing_input(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.audio.speech.create(model="tts-1", voice="alloy", input="")
    assert "input" in str(caught.value)


def test_transcription_reads_the_wav_the_sdk_sent(oai: openai.OpenAI, mock: MockOpenAI) -> None:
    audio = wav_bytes(samples("x" * 150))  # 1.5 s
    answer = oai.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio))
    assert answer.text == "heard 1.50 seconds of audio"
    sent = mock.last_request
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert audio in sent.body
    verbose = oai.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio), response_format="verbose_json"
    )
    assert (verbose.duration, verbose.language) == (1.5, "english")
    text = oai.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio), response_format="text"
    )
    assert text == "heard 1.50 seconds of audio\n"


def test_transcription_usage_by_model(oai: openai.OpenAI) -> None:
    audio = wav_bytes(samples("x" * 100))
    whisper = oai.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio))
    assert whisper.usage is not None and whisper.usage.type == "duration"
    assert whisper.usage.seconds == 1
    gpt = oai.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", audio))
    assert gpt.usage is not None and gpt.usage.type == "tokens"
    assert (gpt.usage.input_tokens, gpt.usage.output_tokens) == (10, 5)


def test_transcription_refuses_a_form_without_file(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.post(
            "/audio/transcriptions",
            body={"model": "whisper-1"},
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files=[("other", ("a.txt", b"hi"))],
            cast_to=object,
        )
    assert "'file'" in str(caught.value)
