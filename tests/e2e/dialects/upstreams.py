"""The five provider mocks behind one gateway, and how to script a tool call on each."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from tests.mocks import (
    anthropic_upstream,
    bedrock_upstream,
    cohere_upstream,
    gemini_upstream,
    ollama_upstream,
    openai_upstream,
)

WEATHER_ARGS = {"city": "Paris"}


@dataclass
class Upstream:
    name: str  # provider name in the gateway
    model: str  # what clients ask for
    mock: Any
    script_tool_call: Callable[[], None]

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.mock.requests]


def start_upstreams(stack: ExitStack) -> list[Upstream]:
    """Each mock is a context manager; the stack stops them all."""
    oai = stack.enter_context(openai_upstream.MockOpenAI())
    ant = stack.enter_context(anthropic_upstream.MockAnthropic())
    gem = stack.enter_context(gemini_upstream.MockGemini(api_keys=("test-key",)))
    oll = stack.enter_context(ollama_upstream.MockOllama())
    bed = stack.enter_context(bedrock_upstream.MockBedrock())
    coh = stack.enter_context(cohere_upstream.MockCohere())
    args = json.dumps(WEATHER_ARGS)
    return [
        Upstream(
            "openai",
            "openai/gpt-4o-mini",
            oai,
            lambda: oai.enqueue(openai_upstream.ToolCalls([("get_weather", args)])),
        ),
        Upstream(
            "anthropic",
            "anthropic/claude-mock",
            ant,
            lambda: ant.enqueue(anthropic_upstream.ToolCalls([("get_weather", WEATHER_ARGS)])),
        ),
        Upstream(
            "gemini",
            "gemini/gemini-2.5-flash",
            gem,
            lambda: gem.enqueue(gemini_upstream.ToolCalls([("get_weather", WEATHER_ARGS)])),
        ),
        Upstream(
            "ollama",
            "ollama/llama3.2:latest",
            oll,
            lambda: oll.enqueue(ollama_upstream.ToolCalls([("get_weather", WEATHER_ARGS)])),
        ),
        Upstream(
            "bedrock",
            "bedrock/amazon.nova-lite-v1:0",
            bed,
            lambda: bed.enqueue(bedrock_upstream.ToolCalls([("get_weather", args)])),
        ),
        Upstream(
            "cohere",
            "cohere/command-a-03-2025",
            coh,
            lambda: coh.enqueue(
                cohere_upstream.ToolCalls([("get_weather", WEATHER_ARGS)], plan="")
            ),
        ),
    ]


def gateway_config(upstreams: list[Upstream]) -> dict[str, Any]:
    by_name = {u.name: u.mock.base_url for u in upstreams}
    bedrock_key = {
        "name": "aws",
        "bedrock_key_config": {
            "access_key": bedrock_upstream.ACCESS_KEY,
            "secret_key": bedrock_upstream.SECRET_KEY,
            "region": bedrock_upstream.REGION,
        },
    }
    return {
        "providers": {
            "openai": {
                "keys": [{"value": "sk-oai"}],
                "network_config": {"base_url": by_name["openai"]},
            },
            "anthropic": {
                "keys": [{"value": "sk-ant"}],
                "network_config": {"base_url": by_name["anthropic"]},
            },
            "gemini": {
                "keys": [{"value": "test-key"}],
                "network_config": {"base_url": by_name["gemini"]},
            },
            "ollama": {"network_config": {"base_url": by_name["ollama"]}},
            "bedrock": {"keys": [bedrock_key], "network_config": {"base_url": by_name["bedrock"]}},
            "cohere": {
                "keys": [{"value": "co-key"}],
                "network_config": {"base_url": by_name["cohere"]},
            },
        }
    }
