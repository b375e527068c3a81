"""Two OpenAI mocks (OpenAI itself and a custom provider on its wire), the Azure front, and
one gateway in front of them whose providers each hold a `use_for_batch_api` key beside
heavier ordinary keys — or, for `nobatch`, none at all."""

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
from tests.mocks.azure_front import API_KEY as AZURE_KEY
from tests.mocks.azure_front import MockAzureOpenAI
from tests.mocks.files_wire import FILES
from tests.mocks.openai_upstream import MockOpenAI

BATCH_KEY = "sk-batch-only"
MAIN_KEY = "sk-main-heavy"
CUSTOM_BATCH_KEY = "sk-custom-batch"
AZURE_API_VERSION = "2024-10-21"
JSONL = (
    b'{"custom_id":"r1","method":"POST","url":"/v1/chat/completions",'
    b'"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n'
    b'{"custom_id":"r2","method":"POST","url":"/v1/chat/completions",'
    b'"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"bye"}]}}\n'
)


@dataclass
class Upstreams:
    openai: MockOpenAI
    custom: MockOpenAI
    azure: MockAzureOpenAI

    def reset(self) -> None:
        for mock in (self.openai, self.custom, self.azure):
            mock.reset()
        self.azure.calls.clear()
        FILES.reset()


@pytest.fixture(scope="package")
def mocks() -> Iterator[Upstreams]:
    with ExitStack() as stack:
        yield Upstreams(
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockOpenAI()),
            stack.enter_context(MockAzureOpenAI()),
        )


@pytest.fixture
def upstreams(mocks: Upstreams) -> Upstreams:
    mocks.reset()
    return mocks


def config(mocks: Upstreams) -> dict[str, Any]:
    once = {"max_retries": 0}
    return {
        "providers": {
            "openai": {
                "keys": [
                    {"id": "oai-main", "value": MAIN_KEY, "weight": 100},
                    # a model list and a tiny weight: neither keeps the batch key from batches
                    {
                        "id": "oai-batch",
                        "value": BATCH_KEY,
                        "weight": 0.001,
                        "models": ["gpt-4o"],
                        "use_for_batch_api": True,
                    },
                    {
                        "id": "oai-batch-off",
                        "value": "sk-disabled",
                        "use_for_batch_api": True,
                        "enabled": False,
                    },
                ],
                "network_config": {"base_url": mocks.openai.base_url, **once},
            },
            "azure": {
                "keys": [
                    {
                        "id": "az-batch",
                        "value": AZURE_KEY,
                        "use_for_batch_api": True,
                        "azure_key_config": {
                            "endpoint": mocks.azure.base_url,
                            "api_version": AZURE_API_VERSION,
                        },
                    }
                ],
                "network_config": once,
            },
            "oaicustom": {
                "keys": [
                    {"id": "custom-main", "value": "sk-custom-main", "weight": 50},
                    {"id": "custom-batch", "value": CUSTOM_BATCH_KEY, "use_for_batch_api": True},
                ],
                "custom_provider_config": {"base_provider_type": "openai"},
                "network_config": {"base_url": mocks.custom.base_url, **once},
            },
            "nobatch": {
                "keys": [{"id": "nobatch-main", "value": "sk-nobatch"}],
                "custom_provider_config": {"base_provider_type": "openai"},
                "network_config": {"base_url": mocks.custom.base_url, **once},
            },
            "anthropic": {
                "keys": [{"value": "sk-ant", "use_for_batch_api": True}],
                "network_config": {"base_url": mocks.custom.base_url, **once},
            },
        }
    }


@pytest.fixture(scope="package")
def gateway(mocks: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("batch_api")
    with GatewayProcess(workdir, config(mocks)) as process:
        yield process


@pytest.fixture(params=["/v1", "/openai/v1"])
def client(
    request: pytest.FixtureRequest, gateway: GatewayProcess, upstreams: Upstreams
) -> Iterator[openai.OpenAI]:
    """The SDK on both of the gateway's OpenAI prefixes."""
    with openai_sdk(gateway, request.param) as sdk:
        yield sdk


def upload(client: openai.OpenAI, **extra: Any) -> openai.types.FileObject:
    return client.files.create(
        file=("batch_input.jsonl", JSONL, "application/jsonl"), purpose="batch", **extra
    )
