"""OmniRoute's `/api/v1/audio/...` paths: the same operations, upstream exhaustion a 502."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.audio.conftest import Mocks, wav_file
from tests.mocks.audio_wire import samples
from tests.mocks.elevenlabs_upstream import Error


@pytest.fixture
def http(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url + "/api/v1", trust_env=False, timeout=20) as client:
        yield client


def _prefix(http: httpx.Client) -> str:
    return "" if str(http.base_url).endswith("/api/v1/") else "/v1"


def _speech(http: httpx.Client, model: str) -> httpx.Response:
    body = {"model": model, "voice": "v1", "input": "omni", "response_format": "pcm"}
    return http.post(_prefix(http) + "/audio/speech", json=body)


def _transcribe(http: httpx.Client, model: str) -> httpx.Response:
    files = {"file": ("a.wav", wav_file(1.5), "audio/wav")}
    return http.post(_prefix(http) + "/audio/transcriptions", data={"model": model}, files=files)


def test_speech_and_transcription(http: httpx.Client, upstreams: Mocks) -> None:
    spoken = _speech(http, "openai/tts-1")
    assert (spoken.status_code, spoken.content) == (200, samples("omni"))
    heard = _transcribe(http, "elevenlabs/scribe_v1")
    assert heard.status_code == 200
    assert heard.json() == {
        "text": "heard 1.50 seconds of audio",
        "usage": {"type": "duration", "seconds": 2},
    }


@pytest.mark.parametrize("call", [_speech, _transcribe])
def test_upstream_exhaustion_is_a_502(
    http: httpx.Client, gateway_url: str, upstreams: Mocks, call: object
) -> None:
    """A rate-limited upstream is a 429 on OpenAI's face and OmniRoute's 502 on its own."""
    model = "elevenlabs/eleven_multilingual_v2" if call is _speech else "elevenlabs/scribe_v1"
    upstreams.elevenlabs.enqueue(Error(429, "too many requests", "rate_limited"))
    answer = call(http, model)  # type: ignore[operator]
    assert answer.status_code == 502
    assert answer.json()["error"]["message"] == "all upstream providers failed: too many requests"
    upstreams.elevenlabs.enqueue(Error(429, "too many requests", "rate_limited"))
    with httpx.Client(base_url=gateway_url, trust_env=False, timeout=20) as openai_face:
        assert call(openai_face, model).status_code == 429  # type: ignore[operator]


def test_an_upstream_verdict_on_the_request_keeps_its_status(
    http: httpx.Client, upstreams: Mocks
) -> None:
    upstreams.elevenlabs.enqueue(Error(404, "voice not found", "voice_not_found"))
    answer = _speech(http, "elevenlabs/eleven_multilingual_v2")
    assert answer.status_code == 404


def test_the_gateways_own_refusal_keeps_its_400(http: httpx.Client) -> None:
    answer = _transcribe(http, "")
    assert (answer.status_code, answer.json()["error"]["param"]) == (400, "model")
