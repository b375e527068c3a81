"""An upstream that fails mid-stream ends the client's stream with the client's own error event:
every SDK raises (none hangs), after the text that did arrive."""

from __future__ import annotations

import anthropic
import ollama
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as gtypes

from tests.e2e.dialects.upstreams import Upstream
from tests.gateway_process import GatewayProcess
from tests.mocks.anthropic_upstream import Error

MODEL = "anthropic/claude-mock"


@pytest.fixture
def failing(upstreams: dict[str, Upstream]) -> Upstream:
    upstream = upstreams["anthropic"]
    upstream.mock.reset()
    upstream.mock.enqueue(Error(529, "upstream overloaded", in_stream=True, before="partial"))
    return upstream


def test_openai_client(gateway: GatewayProcess, failing: Upstream) -> None:
    received = []
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as sdk:
        stream = sdk.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
        )
        with pytest.raises(openai.APIError, match="upstream overloaded"):
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
    assert "".join(received) == "partial"


def test_anthropic_client(gateway: GatewayProcess, upstreams: dict[str, Upstream]) -> None:
    """Same dialect: the provider's own error event is relayed as it was."""
    mock = upstreams["anthropic"].mock
    mock.reset()
    mock.enqueue(Error(529, "upstream overloaded", in_stream=True))
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "x"}]
    with (
        anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as sdk,
        pytest.raises(anthropic.APIStatusError, match="upstream overloaded"),
        sdk.messages.stream(model=MODEL, max_tokens=50, messages=messages) as events,
    ):
        events.get_final_message()


def test_gemini_client(gateway: GatewayProcess, failing: Upstream) -> None:
    sdk = genai.Client(api_key="x", http_options=gtypes.HttpOptions(base_url=gateway.base_url))
    try:
        with pytest.raises(genai_errors.APIError, match="upstream overloaded"):
            for _ in sdk.models.generate_content_stream(model=MODEL, contents="x"):
                pass
    finally:
        sdk.close()


def test_ollama_client(gateway: GatewayProcess, failing: Upstream) -> None:
    with (
        ollama.Client(host=gateway.base_url) as sdk,
        pytest.raises(ollama.ResponseError, match="upstream overloaded"),
    ):
        for _ in sdk.chat(model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True):
            pass
