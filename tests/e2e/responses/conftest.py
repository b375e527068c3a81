"""Mocks for the Responses API (OpenAI with its Responses wire, Azure in front of another,
Anthropic, Gemini) and one gateway in front of them all."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.e2e.sdk import openai_sdk
from tests.gateway_process import GatewayProcess
from tests.mocks import responses_wire
from tests.mocks.anthropic_upstream import MockAnthropic
from tests.mocks.azure_front import API_KEY, MockAzureOpenAI
from tests.mocks.gemini_upstream import MockGemini
from tests.mocks.openai_upstream import MockOpenAI

assert responses_wire.CREATED_AT  # imported for its registration of POST /v1/responses

AZURE_VERSION = "2024-06-01"


@dataclass
class Mocks:
    openai: MockOpenAI
    azure: MockAzureOpenAI
    anthropic: MockAnthropic
    gemini: MockGemini

    def reset(self) -> None:
        for mock in (self.openai, self.azure, self.anthropic, self.gemini):
            mock.reset()
        self.azure.calls.clear()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockAzureOpenAI()),
            stack.enter_context(MockAnthropic(api_key="sk-ant")),
            stack.enter_context(MockGemini(api_keys=("test-key",))),
        )


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


def _config(mocks: Mocks) -> dict[str, Any]:
    once = {"max_retries": 0}
    azure_key = {
        "name": "eastus",
        "value": API_KEY,
        "aliases": {"gpt-4o": "my-gpt4o"},
        "azure_key_config": {"endpoint": mocks.azure.base_url, "api_version": AZURE_VERSION},
    }
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "azure": {"keys": [azure_key], "network_config": once},
            "anthropic": {
                "keys": [{"value": "sk-ant"}],
                "network_config": {"base_url": mocks.anthropic.base_url, **once},
            },
            "gemini": {
                "keys": [{"value": "test-key"}],
                "network_config": {"base_url": mocks.gemini.base_url, **once},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("responses")
    with GatewayProcess(workdir, _config(mocks)) as process:
        yield process


@pytest.fixture
def client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai_sdk(gateway) as sdk:
        yield sdk


def post(gateway: GatewayProcess, path: str, body: bytes) -> tuple[int, bytes]:
    """Raw HTTP, for exact request and answer bytes."""
    request = urllib.request.Request(
        gateway.base_url + path, data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_json(gateway: GatewayProcess, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    status, answer = post(gateway, path, json.dumps(body).encode())
    return status, json.loads(answer)
