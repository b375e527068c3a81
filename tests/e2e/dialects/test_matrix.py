"""Every client dialect against every provider dialect, through the running gateway."""

from __future__ import annotations

import pytest

from tests.e2e.dialects.clients import CLIENTS, QUESTION, client
from tests.e2e.dialects.upstreams import WEATHER_ARGS, Upstream
from tests.gateway_process import GatewayProcess

PROVIDERS = ["openai", "anthropic", "gemini", "ollama", "bedrock", "cohere"]


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


@pytest.mark.parametrize("provider", ["ollama", "bedrock", "cohere"])
def test_openai_answers_always_carry_an_id_and_model(
    provider: str, gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    """These providers' wires carry no response id or model: the gateway supplies them."""
    import openai

    upstreams[provider].mock.reset()
    model = upstreams[provider].model
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "x"}]
        )
        first = next(
            iter(
                sdk.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "x"}], stream=True
                )
            )
        )
    assert answer.id and answer.model
    assert first.id and first.model
