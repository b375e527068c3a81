"""`client.audio.speech.create` through the gateway to OpenAI, Azure and ElevenLabs."""

from __future__ import annotations

import time

import openai
import pytest

from tests.e2e.audio.conftest import Mocks
from tests.mocks.audio_wire import encoded, samples
from tests.mocks.elevenlabs_upstream import Error


def test_openai_gets_its_model_and_the_audio_comes_back(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.audio.speech.create(
        model="openai/tts-1", voice="alloy", input="hello world", response_format="wav"
    )
    assert answer.response.headers["content-type"] == "audio/wav"
    assert answer.content == encoded("wav", samples("hello world"))
    sent = upstreams.openai.last_request
    assert (sent.path, sent.json["model"], sent.json["voice"]) == (
        "/v1/audio/speech",
        "tts-1",
        "alloy",
    )


def test_streaming_response_relays_mp3(client: openai.OpenAI) -> None:
    with client.audio.speech.with_streaming_response.create(
        model="openai/tts-1", voice="alloy", input="a longer sentence to speak " * 20
    ) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        audio = b"".join(response.iter_bytes())
    assert audio == encoded("mp3", samples("a longer sentence to speak " * 20))


def test_azure_gets_the_deployment_path(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.audio.speech.create(
        model="azure/tts-1", voice="nova", input="hi", response_format="pcm"
    )
    assert answer.content == samples("hi")
    call = upstreams.azure.calls[-1]
    assert (call.deployment, call.api_version) == ("my-tts", "2024-06-01")


def test_elevenlabs_gets_its_own_wire(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.audio.speech.create(
        model="elevenlabs/eleven_multilingual_v2",
        voice="JBFqnCBsd6RMkjVDRZzb",
        input="hi there",
        response_format="pcm",
        speed=1.1,
    )
    assert answer.content == samples("hi there", 24_000)
    sent = upstreams.elevenlabs.last_request
    assert sent.path == "/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb"
    assert sent.query == "output_format=pcm_24000"
    assert sent.json == {
        "text": "hi there",
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {"speed": 1.1},
    }


def test_elevenlabs_audio_is_relayed_before_the_upstream_finished(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    """The mock holds its second half until released: the first half must reach the client
    while the upstream is still sending, so the gateway is not buffering the audio."""
    text = "streamed speech " * 50
    upstreams.elevenlabs.hold()
    try:
        with client.audio.speech.with_streaming_response.create(
            model="elevenlabs/eleven_flash_v2_5", voice="v1", input=text, response_format="wav"
        ) as response:
            chunks = response.iter_bytes()
            started = time.monotonic()
            first = next(chunks)
            waited = time.monotonic() - started
            upstreams.elevenlabs.release()
            rest = b"".join(chunks)
    finally:
        upstreams.elevenlabs.release()
    assert waited < 5, "the first audio waited for the whole answer"
    assert first + rest == encoded("wav", samples(text, 24_000), 24_000)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"response_format": "aac"}, "response_format"),
        ({"response_format": "flac"}, "response_format"),
        ({"instructions": "speak softly"}, "instructions"),
    ],
)
def test_elevenlabs_refuses_what_it_cannot_do_before_a_call(
    client: openai.OpenAI, upstreams: Mocks, extra: dict[str, str], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(
            model="elevenlabs/eleven_multilingual_v2",
            voice="v1",
            input="hi",
            **extra,  # type: ignore[arg-type]
        )
    assert caught.value.body["param"] == param  # type: ignore[index]
    assert upstreams.elevenlabs.requests == []


def test_elevenlabs_errors_keep_their_status_and_message(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    upstreams.elevenlabs.enqueue(
        Error(404, "A voice with that id was not found.", "voice_not_found")
    )
    with pytest.raises(openai.NotFoundError) as caught:
        client.audio.speech.create(model="elevenlabs/eleven_multilingual_v2", voice="x", input="hi")
    error = caught.value.body
    assert error["message"] == "A voice with that id was not found."  # type: ignore[index]
    assert error["code"] == "voice_not_found"  # type: ignore[index]


def test_speed_out_of_elevenlabs_range_is_its_422(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.audio.speech.create(
            model="elevenlabs/eleven_multilingual_v2", voice="v", input="hi", speed=3.0
        )
    assert caught.value.body["param"] == "speed"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "openai/tts-1", "voice": "alloy"}, "input"),
        ({"model": "openai/tts-1", "input": "hi"}, "voice"),
        ({"voice": "alloy", "input": "hi"}, "model"),
        ({"model": "openai/tts-1", "voice": "alloy", "input": "hi", "speed": "fast"}, "speed"),
    ],
)
def test_a_malformed_request_names_the_field(
    client: openai.OpenAI, body: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/audio/speech", body=body, cast_to=object)
    assert caught.value.body["param"] == param  # type: ignore[index]


def test_chat_to_elevenlabs_is_refused(client: openai.OpenAI, upstreams: Mocks) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="elevenlabs/eleven_multilingual_v2",
            messages=[{"role": "user", "content": "hi"}],
        )
    assert "ElevenLabs serves audio only" in str(caught.value)
    assert upstreams.elevenlabs.requests == []


def test_the_openai_prefix_twin(gateway_url: str) -> None:
    with openai.OpenAI(base_url=gateway_url + "/openai/v1", api_key="sk", max_retries=0) as sdk:
        answer = sdk.audio.speech.create(
            model="openai/tts-1", voice="alloy", input="twin", response_format="pcm"
        )
    assert answer.content == samples("twin")
