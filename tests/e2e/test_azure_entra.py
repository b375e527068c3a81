"""Azure OpenAI with Entra ID client credentials: the gateway gets a token from the identity
mock (found through AZURE_AUTHORITY_HOST, as azure-identity finds it) and sends it as a Bearer,
not as `api-key`. A second provider's secret is wrong: its clients get a clear 401."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.azure_front import MockAzureOpenAI
from tests.mocks.oauth_upstream import EntraApp, MockIdentity

APP = EntraApp("contoso-tenant", "gateway-app", "entra-client-secret-1")


@pytest.fixture(scope="module")
def identity() -> Iterator[MockIdentity]:
    with MockIdentity(entra=APP) as mock:
        yield mock


@pytest.fixture(scope="module")
def azure(identity: MockIdentity) -> Iterator[MockAzureOpenAI]:
    with MockAzureOpenAI(bearer=identity.accepts) as mock:
        yield mock


def _provider(azure: MockAzureOpenAI, secret: str) -> dict[str, Any]:
    entra = {"client_id": APP.client_id, "client_secret": secret, "tenant_id": APP.tenant}
    block = {"endpoint": azure.base_url, "api_version": "2024-10-21", **entra}
    key = {"name": "entra", "aliases": {"gpt-4o": "my-gpt4o"}, "azure_key_config": block}
    return {"keys": [key]}


@pytest.fixture(scope="module")
def gateway(
    identity: MockIdentity, azure: MockAzureOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    wrong = _provider(azure, "not-the-secret") | {
        "custom_provider_config": {"base_provider_type": "azure"},
        "network_config": {"base_url": azure.base_url},
    }
    config = {"providers": {"azure": _provider(azure, APP.client_secret), "azurewrong": wrong}}
    workdir: Path = tmp_path_factory.mktemp("azure-entra")
    env = {"AZURE_AUTHORITY_HOST": identity.base_url}
    with GatewayProcess(workdir, config, env=env) as process:
        yield process


def test_openai_client_reaches_azure_with_an_entra_token(
    gateway: GatewayProcess, azure: MockAzureOpenAI, identity: MockIdentity
) -> None:
    ask: Any = [{"role": "user", "content": "hi"}]
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(model="azure/gpt-4o", messages=ask)
        chunks = list(sdk.chat.completions.create(model="azure/gpt-4o", messages=ask, stream=True))
        sdk.chat.completions.create(model="azure/gpt-4o", messages=ask)
    assert answer.choices[0].message.content == "echo: hi"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: hi"
    assert identity.fetches == 1
    headers = azure.last_request.headers
    assert headers["authorization"] == f"Bearer {identity.issued[0]}"
    assert "api-key" not in headers
    assert azure.calls[-1].deployment == "my-gpt4o"
    form = identity.requests[0].body.decode()
    assert "client_id=gateway-app" in form and "grant_type=client_credentials" in form


def test_a_wrong_client_secret_is_a_clear_401(gateway: GatewayProcess) -> None:
    with (
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        sdk.chat.completions.create(
            model="azurewrong/gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
    message = caught.value.message
    assert "key 'entra'" in message and "AADSTS7000215" in message
    assert "not-the-secret" not in message
