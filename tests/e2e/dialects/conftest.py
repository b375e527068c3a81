"""Five provider mocks and one gateway in front of them, shared by the dialect tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.dialects.upstreams import Upstream, gateway_config, start_upstreams
from tests.gateway_process import GatewayProcess


@pytest.fixture(scope="package")
def upstreams() -> Iterator[dict[str, Upstream]]:
    with ExitStack() as stack:
        yield {u.name: u for u in start_upstreams(stack)}


@pytest.fixture(scope="package")
def gateway(
    upstreams: dict[str, Upstream], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("dialects")
    with GatewayProcess(workdir, gateway_config(list(upstreams.values()))) as process:
        yield process
