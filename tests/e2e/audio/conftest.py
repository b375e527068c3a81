"""Audio upstreams (OpenAI, Azure, Groq, ElevenLabs mocks) and one gateway in front of them."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.e2e.sdk import openai_sdk
from tests.gateway_process import GatewayProcess
from tests.mocks import audio_wire
from tests.mocks.azure_front import API_KEY as AZURE_KEY
from tests.mocks.azure_front import MockAzureOpenAI
from tests.mocks.elevenlabs_upstream import API_KEY as ELEVENLABS_KEY
from tests.mocks.elevenlabs_upstream import MockElevenLabs
from tests.mocks.openai_upstream import MockOpenAI

GROQ_KEY = "gsk-audio-test"
#: Azure deployments the key's aliases map the OpenAI model names onto
AZURE_DEPLOYMENTS = {"tts-1": "my-tts", "whisper-1": "my-whisper"}


@dataclass
class Mocks:
    openai: MockOpenAI
    azure: MockAzureOpenAI
    #: Groq's OpenAI surface lives under `/openai/v1`: the Azure front serves that prefix (to
    #: the OpenAI mock behind it), with Groq's Bearer key
    groq: MockAzureOpenAI
    elevenlabs: MockElevenLabs

    def reset(self) -> None:
        for mock in (self.openai, self.azure, self.groq, self.elevenlabs):
            mock.reset()
        self.azure.calls.clear()
        self.groq.calls.clear()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Mocks]:
    assert audio_wire.SAMPLE_RATE  # registers the audio operations on the OpenAI mocks
    with ExitStack() as stack:
        yield Mocks(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockAzureOpenAI(deployments=tuple(AZURE_DEPLOYMENTS.values()))),
            stack.enter_context(MockAzureOpenAI(bearer=lambda token: token == GROQ_KEY)),
            stack.enter_context(MockElevenLabs()),
        )


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


def audio_config(mocks: Mocks) -> dict[str, Any]:
    once = {"max_retries": 0}
    azure = {"endpoint": mocks.azure.base_url, "api_version": "2024-06-01"}
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "azure": {
                "keys": [
                    {"value": AZURE_KEY, "aliases": AZURE_DEPLOYMENTS, "azure_key_config": azure}
                ],
                "network_config": once,
            },
            "groq": {
                "keys": [{"value": GROQ_KEY}],
                "network_config": {"base_url": mocks.groq.base_url, **once},
            },
            "elevenlabs": {
                "keys": [{"value": ELEVENLABS_KEY}],
                "network_config": {"base_url": mocks.elevenlabs.base_url, **once},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("audio")
    with GatewayProcess(workdir, audio_config(mocks)) as process:
        yield process


@pytest.fixture
def client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai_sdk(gateway) as sdk:
        yield sdk


def wav_file(seconds: float, rate: int = 16_000) -> bytes:
    """A real mono 16-bit WAV (a sawtooth pattern), `seconds` long."""
    frames = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(bytes((i * 7) % 256 for i in range(frames * 2)))
    return out.getvalue()


@pytest.fixture
def gateway_url(gateway: GatewayProcess, upstreams: Mocks) -> str:
    return gateway.base_url
