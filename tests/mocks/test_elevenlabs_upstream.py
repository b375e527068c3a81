"""The ElevenLabs mock speaks ElevenLabs' wire: key header, query, multipart, error bodies."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.mocks.audio_wire import samples, wav_bytes, wav_seconds
from tests.mocks.elevenlabs_upstream import API_KEY, Error, MockElevenLabs


@pytest.fixture(scope="module")
def mock() -> Iterator[MockElevenLabs]:
    with MockElevenLabs() as server:
        yield server


@pytest.fixture
def http(mock: MockElevenLabs) -> Iterator[httpx.Client]:
    mock.reset()
    headers = {"xi-api-key": API_KEY}
    with httpx.Client(base_url=mock.base_url, headers=headers, trust_env=False) as client:
        yield client


def test_text_to_speech_answers_audio_in_the_asked_format(http: httpx.Client) -> None:
    body = {"text": "hello", "model_id": "eleven_multilingual_v2"}
    wav = http.post("/v1/text-to-speech/voice123?output_format=wav_24000", json=body)
    assert (wav.status_code, wav.headers["content-type"]) == (200, "audio/wav")
    assert wav_seconds(wav.content) == pytest.approx(0.05)
    pcm = http.post("/v1/text-to-speech/voice123?output_format=pcm_16000", json=body)
    assert pcm.content == samples("hello", 16_000)
    mp3 = http.post("/v1/text-to-speech/voice123", json=body)
    assert mp3.headers["content-type"] == "audio/mpeg"


def test_errors_in_elevenlabs_shapes(http: httpx.Client, mock: MockElevenLabs) -> None:
    body = {"text": "hi", "model_id": "eleven_multilingual_v2"}
    bad = http.post("/v1/text-to-speech/v?output_format=aac_44100", json=body)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "output_format"]
    denied = http.post("/v1/text-to-speech/v", json=body, headers={"xi-api-key": "wrong"})
    assert denied.status_code == 401
    assert denied.json() == {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
    mock.enqueue(Error(503, "busy", "service_unavailable"))
    assert http.post("/v1/text-to-speech/v", json=body).status_code == 503


def test_speech_to_text_reads_the_multipart_file(http: httpx.Client) -> None:
    audio = wav_bytes(samples("x" * 200))  # 2 s
    answer = http.post(
        "/v1/speech-to-text",
        data={"model_id": "scribe_v1"},
        files={"file": ("a.wav", audio, "audio/wav")},
    )
    assert answer.status_code == 200
    data = answer.json()
    assert (data["text"], data["language_code"]) == ("heard 2.00 seconds of audio", "en")
    words = [w for w in data["words"] if w["type"] == "word"]
    assert [w["text"] for w in words] == data["text"].split()
    assert words[-1]["end"] <= 2.0


def test_models_are_a_bare_list(http: httpx.Client) -> None:
    assert "scribe_v1" in [m["model_id"] for m in http.get("/v1/models").json()]
