"""Custom providers: allowed_requests enforced per request type, request_path_overrides applied."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module")
def gateway(
    mock_upstream: MockOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    custom = {
        "custom_provider_config": {
            "base_provider_type": "openai",
            "is_key_less": True,
            "allowed_requests": {"chat_completion": True, "chat_completion_stream": False},
            # the default path would be <base>/v1/chat/completions, which the mock does not serve
            "request_path_overrides": {"chat_completion": "/completions"},
        },
        "network_config": {"base_url": mock_upstream.base_url + "/v1/chat"},
    }
    config = {"providers": {"inhouse": custom}}
    with GatewayProcess(tmp_path_factory.mktemp("custom"), config) as process:
        yield process


def test_allowed_type_uses_the_override_path(gateway: GatewayProcess, upstream: MockOpenAI) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        answer = sdk.chat.completions.create(
            model="inhouse/m1", messages=[{"role": "user", "content": "hi"}]
        )
    assert answer.choices[0].message.content == "echo: hi"
    assert upstream.last_request.path == "/v1/chat/completions"
    assert "authorization" not in upstream.last_request.headers  # is_key_less


def test_disallowed_type_is_a_400_naming_it(gateway: GatewayProcess, upstream: MockOpenAI) -> None:
    with (
        openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        sdk.chat.completions.create(
            model="inhouse/m1", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    assert "chat_completion_stream" in caught.value.message
    assert caught.value.code == "request_type_not_allowed"
    assert upstream.requests == []
