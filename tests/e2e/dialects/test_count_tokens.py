"""Token counts: the provider's own when it has one in the client's dialect, else an estimate."""

from __future__ import annotations

import anthropic
from google import genai
from google.genai import types as gtypes

from tests.e2e.dialects.upstreams import Upstream
from tests.gateway_process import GatewayProcess

MESSAGES: list[anthropic.types.MessageParam] = [{"role": "user", "content": "one two three four"}]


def test_anthropic_count_uses_anthropics_own_endpoint(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["anthropic"].mock
    mock.reset()
    with anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        raw = sdk.messages.with_raw_response.count_tokens(
            model="anthropic/claude-mock", messages=MESSAGES
        )
    assert raw.headers["x-cloverleaf-token-count"] == "provider"
    assert mock.requests[-1].path == "/v1/messages/count_tokens"
    assert mock.requests[-1].json["model"] == "claude-mock"
    assert raw.parse().input_tokens > 0


def test_anthropic_count_against_another_dialect_is_an_estimate(gateway: GatewayProcess) -> None:
    with anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk:
        raw = sdk.messages.with_raw_response.count_tokens(
            model="openai/gpt-4o-mini", messages=MESSAGES
        )
    assert raw.headers["x-cloverleaf-token-count"] == "estimate"
    # "one two three four" is 18 characters: ceil(18 / 4) + 3 framing tokens for one message
    assert raw.parse().input_tokens == 8


def test_gemini_count_tokens(gateway: GatewayProcess, upstreams: dict[str, Upstream]) -> None:
    mock = upstreams["gemini"].mock
    mock.reset()
    sdk = genai.Client(api_key="x", http_options=gtypes.HttpOptions(base_url=gateway.base_url))
    try:
        own = sdk.models.count_tokens(
            model="gemini/gemini-2.5-flash", contents="one two three four"
        )
        estimate = sdk.models.count_tokens(
            model="openai/gpt-4o-mini", contents="one two three four"
        )
    finally:
        sdk.close()
    assert own.total_tokens == 4  # the mock counts words
    assert mock.requests[-1].path.endswith("/models/gemini-2.5-flash:countTokens")
    assert estimate.total_tokens == 8
