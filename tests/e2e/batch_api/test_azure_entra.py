"""Files and batches on an Azure key configured for Entra ID: the token from the identity mock
goes as a Bearer to `/openai/files?api-version=`, like the key's chat calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.e2e.batch_api.conftest import JSONL
from tests.gateway_process import GatewayProcess
from tests.mocks.azure_front import MockAzureOpenAI
from tests.mocks.files_wire import FILES
from tests.mocks.oauth_upstream import EntraApp, MockIdentity

APP = EntraApp("contoso-tenant", "batch-app", "entra-batch-secret")


@pytest.fixture(scope="module")
def identity() -> Iterator[MockIdentity]:
    with MockIdentity(entra=APP) as mock:
        yield mock


@pytest.fixture(scope="module")
def azure(identity: MockIdentity) -> Iterator[MockAzureOpenAI]:
    with MockAzureOpenAI(bearer=identity.accepts) as mock:
        yield mock


@pytest.fixture(scope="module")
def gateway(
    identity: MockIdentity, azure: MockAzureOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    entra = {
        "client_id": APP.client_id,
        "client_secret": APP.client_secret,
        "tenant_id": APP.tenant,
    }
    block = {"endpoint": azure.base_url, "api_version": "2025-03-01-preview", **entra}
    key = {"id": "az-entra", "use_for_batch_api": True, "azure_key_config": block}
    config = {"providers": {"azure": {"keys": [key]}}}
    workdir: Path = tmp_path_factory.mktemp("batch-azure-entra")
    env = {"AZURE_AUTHORITY_HOST": identity.base_url}
    with GatewayProcess(workdir, config, env=env) as process:
        yield process


def test_an_entra_key_uploads_and_batches(
    gateway: GatewayProcess, azure: MockAzureOpenAI, identity: MockIdentity
) -> None:
    FILES.reset()
    azure.reset()
    azure.calls.clear()
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        source = sdk.files.create(
            file=("in.jsonl", JSONL), purpose="batch", extra_body={"provider": "azure"}
        )
        batch = sdk.batches.create(
            input_file_id=source.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            extra_body={"provider": "azure"},
        )
    assert batch.input_file_id == source.id
    assert {call.api_key for call in FILES.calls} == {identity.issued[0]}
    assert "api-key" not in azure.last_request.headers
    assert [c.api_version for c in azure.calls] == ["2025-03-01-preview"] * 2
    assert identity.fetches == 1
