"""Every adapter's mock, and one gateway in front of them all, for the whole conformance run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import openai
import pytest

from tests.conformance.adapters import ROWS, Target
from tests.gateway_process import GatewayProcess


@pytest.fixture(scope="package")
def targets() -> Iterator[dict[str, Target]]:
    with ExitStack() as stack:
        mocks = [(row, stack.enter_context(row.mock())) for row in ROWS]
        yield {row.id: Target(row, mock, row.wire(mock)) for row, mock in mocks}


@pytest.fixture(scope="package")
def gateway(
    targets: dict[str, Target], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    providers = {name: t.row.provider_config(t.mock) for name, t in targets.items()}
    workdir = tmp_path_factory.mktemp("conformance")
    with GatewayProcess(workdir, {"providers": providers}) as process:
        yield process


@pytest.fixture(scope="package")
def sdk(gateway: GatewayProcess) -> Iterator[openai.OpenAI]:
    base_url = gateway.base_url + "/v1"
    with openai.OpenAI(base_url=base_url, api_key="sk-client", max_retries=0, timeout=20) as client:
        yield client
