"""Every client dialect against every provider dialect, through the running gateway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.dialects.clients import CLIENTS, QUESTION, client
from tests.e2e.dialects.upstreams import WEATHER_ARGS, Upstream, gateway_config, start_upstreams
from tests.gateway_process import GatewayProcess

PROVIDERS = ["openai", "anthropic", "gemini", "ollama", "bedrock"]


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, Upstream]]:
    with ExitStack() as stack:
        yield {u.name: u for u in start_upstreams(stack)}


@pytest.fixture(scope="module")
def gateway(
    upstreams: dict[str, Upstream], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("dialects")
    with GatewayProcess(workdir, gateway_config(list(upstreams.values()))) as process:
        yield process


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", list(CLIENTS))
def test_text(
    kind: str, provider: str, stream: bool, gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    upstream = upstreams[provider]
    upstream.mock.reset()
    with client(kind, gateway.base_url) as sdk:
        answer = sdk.ask(upstream.model, stream)
    assert answer == f"echo: {QUESTION}", gateway.logs()[-2000:]
    assert len(upstream.mock.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", list(CLIENTS))
def test_tool_round_trip(
    kind: str, provider: str, gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    upstream = upstreams[provider]
    upstream.mock.reset()
    upstream.script_tool_call()
    with client(kind, gateway.base_url) as sdk:
        name, arguments = sdk.tool_round_trip(upstream.model)
    assert (name, arguments) == ("get_weather", WEATHER_ARGS)
    bodies = upstream.bodies()
    assert len(bodies) == 2
    assert b"get_weather" in bodies[0] and b"18C sunny" in bodies[1]
