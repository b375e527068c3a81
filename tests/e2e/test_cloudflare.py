"""Cloudflare Workers AI through the gateway: the OpenAI surface and the native run envelope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.cloudflare_upstream import MockCloudflare

MODEL = "@cf/meta/llama-3.1-8b-instruct"


@pytest.fixture(scope="module")
def cloudflare() -> Iterator[MockCloudflare]:
    with MockCloudflare() as mock:
        yield mock


@pytest.fixture(scope="module")
def gateway(
    cloudflare: MockCloudflare, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    base = cloudflare.base_url + "/client/v4/accounts/acc123/ai"
    provider = {"keys": [{"value": "cf-token"}], "network_config": {"base_url": base}}
    config = {"providers": {"cloudflare": provider, "cloudflare-run": provider}}
    with GatewayProcess(tmp_path_factory.mktemp("cloudflare"), config) as process:
        yield process


def test_openai_client_on_the_openai_surface(
    gateway: GatewayProcess, cloudflare: MockCloudflare
) -> None:
    cloudflare.reset()
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(
            model=f"cloudflare/{MODEL}", messages=[{"role": "user", "content": "hi cf"}]
        )
    assert answer.choices[0].message.content == "echo: hi cf"
    seen = cloudflare.last_request
    assert seen.path == "/client/v4/accounts/acc123/ai/v1/chat/completions"
    assert seen.json["model"] == MODEL and seen.headers["authorization"] == "Bearer cf-token"


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_client_on_the_native_run_api(
    gateway: GatewayProcess, cloudflare: MockCloudflare, stream: bool
) -> None:
    cloudflare.reset()
    with anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        kwargs: dict[str, object] = {
            "model": f"cloudflare-run/{MODEL}",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hello run"}],
        }
        if stream:
            with sdk.messages.stream(**kwargs) as events:  # type: ignore[arg-type]
                message = events.get_final_message()
        else:
            message = sdk.messages.create(**kwargs)  # type: ignore[call-overload]
    assert "".join(b.text for b in message.content if b.type == "text") == "echo: hello run"
    assert cloudflare.last_request.path == f"/client/v4/accounts/acc123/ai/run/{MODEL}"


def test_missing_account_url_stops_startup(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path, {"providers": {"cloudflare": {"keys": [{"value": "t"}]}}})
    with pytest.raises(RuntimeError, match="has no endpoint"):
        gateway.start()
