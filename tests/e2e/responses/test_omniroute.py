"""OmniRoute's `/api/v1/responses`: the same operation, with a 502 when every upstream failed."""

from __future__ import annotations

import openai

from tests.e2e.responses.conftest import Mocks, post_json
from tests.gateway_process import GatewayProcess
from tests.mocks import anthropic_upstream


def test_omniroute_answers_responses(gateway: GatewayProcess, upstreams: Mocks) -> None:
    with openai.OpenAI(
        base_url=gateway.base_url + "/api/v1", api_key="sk", max_retries=0, timeout=20
    ) as sdk:
        forwarded = sdk.responses.create(model="openai/gpt-4o-mini", input="omni")
        translated = sdk.responses.create(model="anthropic/claude-mock", input="omni too")
    assert forwarded.output_text == "echo: omni"
    assert translated.output_text == "echo: omni too"


def test_upstream_exhaustion_is_502_on_omniroute_only(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    body = {"model": "anthropic/claude-mock", "input": "hi"}
    upstreams.anthropic.enqueue(anthropic_upstream.Error(429, "overloaded"))
    status, error = post_json(gateway, "/v1/responses", body)
    assert status == 429  # the gateway's own face keeps the upstream's verdict
    assert error["extra_fields"]["provider"] == "anthropic"
    upstreams.anthropic.enqueue(anthropic_upstream.Error(429, "overloaded"))
    status, error = post_json(gateway, "/api/v1/responses", body)
    assert status == 502
    assert "overloaded" in error["error"]["message"]
    assert error["error"]["code"] == "upstream_error"
    status, error = post_json(gateway, "/api/v1/responses", {"model": "anthropic/claude-mock"})
    assert status == 400 and error["error"]["param"] == "input"  # bad input stays a 400


def test_the_openai_prefix_serves_responses(gateway: GatewayProcess, upstreams: Mocks) -> None:
    status, answer = post_json(
        gateway, "/openai/v1/responses", {"model": "openai/gpt-4o-mini", "input": "prefixed"}
    )
    assert status == 200 and answer["output"][0]["content"][0]["text"] == "echo: prefixed"
