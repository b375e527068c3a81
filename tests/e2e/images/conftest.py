"""Image providers' mocks and one gateway in front of them, shared by the package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.e2e.sdk import openai_sdk
from tests.gateway_process import GatewayProcess
from tests.mocks import bedrock_upstream
from tests.mocks.azure_front import API_KEY, MockAzureOpenAI
from tests.mocks.bedrock_invoke import MockBedrockRuntime
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.image_vendors import MockImageVendor
from tests.mocks.openai_upstream import MockOpenAI

IMAGEN, GEMINI_IMAGE = "imagen-4.0-generate-001", "gemini-2.5-flash-image"
AZURE_DEPLOYMENT = "my-image-deployment"


@dataclass
class Mocks:
    openai: MockOpenAI
    gemini: MockGemini
    bedrock: MockBedrockRuntime
    azure: MockAzureOpenAI
    vendor: MockImageVendor

    def reset(self) -> None:
        for mock in (self.openai, self.gemini, self.bedrock, self.vendor):
            mock.reset()
        self.azure.calls.clear()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockGemini(models=(IMAGEN, GEMINI_IMAGE, "gemini-2.5-flash"))),
            stack.enter_context(MockBedrockRuntime()),
            stack.enter_context(MockAzureOpenAI(deployments=(AZURE_DEPLOYMENT,))),
            stack.enter_context(MockImageVendor()),
        )


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


def _config(mocks: Mocks) -> dict[str, Any]:
    aws = {
        "access_key": bedrock_upstream.ACCESS_KEY,
        "secret_key": bedrock_upstream.SECRET_KEY,
        "region": bedrock_upstream.REGION,
    }
    azure_key = {
        "value": API_KEY,
        "aliases": {"dall-e-3": AZURE_DEPLOYMENT},
        "azure_key_config": {"endpoint": mocks.azure.base_url, "api_version": "2024-10-21"},
    }
    once = {"max_retries": 0}
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "azure": {"keys": [azure_key], "network_config": once},
            "gemini": {
                "keys": [{"value": "test-key"}],
                "network_config": {"base_url": mocks.gemini.base_url, **once},
            },
            "bedrock": {
                "keys": [{"name": "aws", "bedrock_key_config": aws}],
                "network_config": {"base_url": mocks.bedrock.base_url, **once},
            },
            "together": {
                "keys": [{"value": mocks.vendor.api_key}],
                "network_config": {"base_url": mocks.vendor.base_url, **once},
            },
            "fireworks": {
                "keys": [{"value": mocks.vendor.api_key}],
                "network_config": {"base_url": mocks.vendor.base_url, **once},
            },
            # a self-hosted OpenAI-compatible server that declares image generation, and one
            # that does not
            "localai": {
                "custom_provider_config": {
                    "base_provider_type": "openai",
                    "is_key_less": True,
                    "allowed_requests": {"image_generation": True, "chat_completion": True},
                },
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "chatonly": {
                "custom_provider_config": {"base_provider_type": "openai", "is_key_less": True},
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            # an OpenAI-compatible vendor with no images endpoint
            "groq": {
                "keys": [{"value": "gsk"}],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("images")
    with GatewayProcess(workdir, _config(mocks)) as process:
        yield process


@pytest.fixture
def client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai_sdk(gateway) as sdk:
        yield sdk
