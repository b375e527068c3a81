"""Mocks for legacy completions, moderations and rerank, and one gateway in front of them."""

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
from tests.mocks.anthropic_upstream import MockAnthropic
from tests.mocks.cohere_upstream import MockCohere
from tests.mocks.openai_upstream import MockOpenAI


@dataclass
class Mocks:
    openai: MockOpenAI
    vllm: MockOpenAI
    anthropic: MockAnthropic
    cohere: MockCohere

    def reset(self) -> None:
        for mock in (self.openai, self.vllm, self.anthropic, self.cohere):
            mock.reset()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Mocks]:
    with ExitStack() as stack:
        yield Mocks(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockOpenAI(models=("bge-reranker-v2-m3",))),
            stack.enter_context(MockAnthropic(api_key="sk-ant")),
            stack.enter_context(MockCohere(api_key="co-key")),
        )


@pytest.fixture
def upstreams(mocks: Mocks) -> Mocks:
    mocks.reset()
    return mocks


def _config(mocks: Mocks) -> dict[str, Any]:
    once = {"max_retries": 0}
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "vllm": {"network_config": {"base_url": mocks.vllm.base_url, **once}},
            "anthropic": {
                "keys": [{"value": "sk-ant"}],
                "network_config": {"base_url": mocks.anthropic.base_url, **once},
            },
            "cohere": {
                "keys": [{"value": "co-key"}],
                "network_config": {"base_url": mocks.cohere.base_url, **once},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Mocks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("extra_ops")
    with GatewayProcess(workdir, _config(mocks)) as process:
        yield process


@pytest.fixture
def client(gateway: GatewayProcess, upstreams: Mocks) -> Iterator[openai.OpenAI]:
    with openai_sdk(gateway) as sdk:
        yield sdk


def post(gateway: GatewayProcess, path: str, body: bytes) -> tuple[int, Any]:
    """Raw HTTP, for exact request bytes and for faces with no SDK."""
    request = urllib.request.Request(
        gateway.base_url + path, data=body, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
