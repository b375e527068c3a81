"""Embedding providers' mocks and one gateway in front of them, shared by the package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks import bedrock_upstream
from tests.mocks.anthropic_upstream import MockAnthropic
from tests.mocks.azure_front import API_KEY, MockAzureOpenAI
from tests.mocks.bedrock_invoke import MockBedrockRuntime
from tests.mocks.cohere_upstream import MockCohere
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.ollama_upstream import MockOllama
from tests.mocks.openai_upstream import MockOpenAI


@dataclass
class Mocks:
    openai: MockOpenAI
    gemini: MockGemini
    cohere: MockCohere
    bedrock: MockBedrockRuntime
    ollama: MockOllama
    azure: MockAzureOpenAI
    anthropic: MockAnthropic

    def reset(self) -> None:
        for mock in (self.openai, self.gemini, self.cohere, self.bedrock, self.ollama):
            mock.reset()
        self.azure.calls.clear()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockGemini(api_keys=("test-key",))),
            stack.enter_context(MockCohere(api_key="co-key")),
            stack.enter_context(MockBedrockRuntime()),
            stack.enter_context(MockOllama()),
            stack.enter_context(MockAzureOpenAI(deployments=("my-embedder",))),
            stack.enter_context(MockAnthropic()),
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
        "aliases": {"text-embedding-3-small": "my-embedder"},
        "azure_key_config": {"endpoint": mocks.azure.base_url, "api_version": "2024-06-01"},
    }
    fast_retry = {"max_retries": 0}
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, **fast_retry},
            },
            "gemini": {
                "keys": [{"value": "test-key"}],
                "network_config": {"base_url": mocks.gemini.base_url, **fast_retry},
            },
            "cohere": {
                "keys": [{"value": "co-key"}],
                "network_config": {"base_url": mocks.cohere.base_url},
            },
            "bedrock": {
                "keys": [{"name": "aws", "bedrock_key_config": aws}],
                "network_config": {"base_url": mocks.bedrock.base_url},
            },
            "ollama": {"network_config": {"base_url": mocks.ollama.base_url}},
            "azure": {"keys": [azure_key]},
            "anthropic": {
                "keys": [{"value": "sk-ant"}],
                "network_config": {"base_url": mocks.anthropic.base_url},
            },
            "chat-only": {
                "custom_provider_config": {
                    "base_provider_type": "openai",
                    "allowed_requests": {"chat_completion": True, "embedding": False},
                },
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url + "/v1"},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("embeddings")
    with GatewayProcess(workdir, _config(mocks)) as process:
        yield process
