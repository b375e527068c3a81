"""Azure OpenAI through the gateway: deployments by alias, per-key api-version and endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.azure_front import API_KEY, MockAzureOpenAI


@pytest.fixture(scope="module")
def azure() -> Iterator[MockAzureOpenAI]:
    with MockAzureOpenAI() as mock:
        yield mock


@pytest.fixture(scope="module")
def gateway(
    azure: MockAzureOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    key = {
        "name": "eastus",
        "value": API_KEY,
        "aliases": {"gpt-4o": "my-gpt4o"},
        "azure_key_config": {"endpoint": azure.base_url, "api_version": "2024-06-01"},
    }
    config = {"providers": {"azure": {"keys": [key]}}}
    workdir: Path = tmp_path_factory.mktemp("azure")
    with GatewayProcess(workdir, config) as process:
        yield process


def test_openai_client_reaches_the_deployment(
    gateway: GatewayProcess, azure: MockAzureOpenAI
) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(
            model="azure/gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        chunks = list(
            sdk.chat.completions.create(
                model="azure/gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert answer.choices[0].message.content == "echo: hi"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: hi"
    assert azure.calls[-1].deployment == "my-gpt4o" and azure.calls[-1].api_version == "2024-06-01"
    assert azure.last_request.headers["api-key"] == API_KEY
    assert "authorization" not in azure.last_request.headers


def test_anthropic_client_is_translated_to_azure(
    gateway: GatewayProcess, azure: MockAzureOpenAI
) -> None:
    with anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        message = sdk.messages.create(
            model="azure/gpt-4o",
            max_tokens=50,
            messages=[{"role": "user", "content": "hello azure"}],
        )
    assert message.content[0].type == "text" and message.content[0].text == "echo: hello azure"
    assert azure.calls[-1].deployment == "my-gpt4o"


def test_unknown_deployment_is_a_404_with_azures_message(gateway: GatewayProcess) -> None:
    with (
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk,
        pytest.raises(openai.NotFoundError) as caught,
    ):
        sdk.chat.completions.create(
            model="azure/gpt-35", messages=[{"role": "user", "content": "hi"}]
        )
    assert "deployment does not exist" in caught.value.message
