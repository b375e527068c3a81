"""A mock OpenAI upstream and a real gateway process in front of it, shared per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module")
def mock_upstream() -> Iterator[MockOpenAI]:
    with MockOpenAI() as mock:
        yield mock


@pytest.fixture
def upstream(mock_upstream: MockOpenAI) -> MockOpenAI:
    mock_upstream.reset()
    return mock_upstream


def standard_config(mock_url: str) -> dict[str, Any]:
    return {
        "providers": {
            "openai": {
                "keys": [
                    {
                        "name": "a",
                        "value": "sk-upstream-a",
                        "weight": 3,
                        "blacklisted_models": ["forbidden-model"],
                    },
                    {"name": "b", "value": "sk-upstream-b", "weight": 1},
                ],
                "network_config": {
                    "base_url": mock_url,
                    "max_retries": 2,
                    "retry_backoff_initial": 10,
                    "retry_backoff_max": 50,
                    "default_request_timeout_in_seconds": 2,
                },
                "concurrency_and_buffer_size": {"concurrency": 2, "buffer_size": 1},
            },
            "acme": {
                "custom_provider_config": {"base_provider_type": "openai"},
                "keys": [
                    {
                        "name": "acme",
                        "value": "sk-acme",
                        "models": ["only-this", "acme-fast-001"],
                        "aliases": {"fast": "acme-fast-001"},
                    }
                ],
                "network_config": {"base_url": mock_url + "/v1"},
            },
        }
    }


@pytest.fixture(scope="module")
def gateway(
    mock_upstream: MockOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("gateway")
    config = standard_config(mock_upstream.base_url)
    with GatewayProcess(workdir, config, env={"CLOVERLEAF_SEED": "7"}) as process:
        yield process


@pytest.fixture
def client(gateway: GatewayProcess, upstream: MockOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=gateway.base_url + "/v1", api_key="sk-client", max_retries=0, timeout=10
    ) as sdk:
        yield sdk
