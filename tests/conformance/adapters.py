"""The upstream adapters under test, one row each: which mock, which wire, which config.

Adding a provider is one row here (plus a `Wire` if it speaks a wire format no row speaks yet).
What an adapter can do is read from the registry, never from here: the suite skips exactly
what the adapter itself declares it cannot carry.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from cloverleaf.providers.chat_adapters import Capability
from cloverleaf.providers.registry import BUILTIN, CHAT_ADAPTERS
from tests.conformance.wires.anthropic import AnthropicWire
from tests.conformance.wires.base import JSON, Wire
from tests.conformance.wires.bedrock import BedrockWire
from tests.conformance.wires.cloudflare_run import CloudflareRunWire
from tests.conformance.wires.cohere import CohereWire
from tests.conformance.wires.gemini import GeminiWire
from tests.conformance.wires.ollama import OllamaWire
from tests.conformance.wires.openai import OpenAIWire
from tests.conformance.wires.replicate import ReplicateWire
from tests.conformance.wires.vertex import VertexStack, vertex_config
from tests.mocks import (
    anthropic_upstream,
    bedrock_upstream,
    cloudflare_upstream,
    cohere_upstream,
    gemini_upstream,
    ollama_upstream,
    openai_upstream,
    replicate_upstream,
)
from tests.mocks.azure_front import API_KEY as AZURE_KEY
from tests.mocks.azure_front import MockAzureOpenAI

#: one retry, almost no backoff: the 5xx case sees two attempts, and stays fast
RETRIES = {"max_retries": 1, "retry_backoff_initial": 1, "retry_backoff_max": 5}
CLOUDFLARE_MODEL = "@cf/meta/llama-3.1-8b-instruct"


@dataclass(frozen=True)
class Row:
    """`provider` is the registry name of the adapter; `mock()` makes an unstarted mock (a
    context manager that starts it); `config(mock)` is the provider's config, given the running
    mock. `name` (default: `provider`) is the row's id and its provider's name in the gateway
    config: a second row of one adapter (another model family) needs its own, and is then
    configured as a custom provider based on `provider`."""

    provider: str
    model: str
    mock: Callable[[], AbstractContextManager[Any]]
    wire: Callable[[Any], Wire]
    config: Callable[[Any], JSON]
    name: str = ""

    @property
    def id(self) -> str:
        return self.name or self.provider

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the registry's adapter for this provider and model declares it can carry."""
        spec = BUILTIN[self.provider]
        adapter = CHAT_ADAPTERS[spec.adapter or spec.dialect]
        return adapter.for_model(self.model).capabilities

    def provider_config(self, mock: Any) -> JSON:
        config = self.config(mock)
        config["network_config"] = config.get("network_config", {}) | RETRIES
        if self.id != self.provider:
            config["custom_provider_config"] = {"base_provider_type": self.provider}
        return config


@dataclass(frozen=True)
class Target:
    """A row with its mock running."""

    row: Row
    mock: Any
    wire: Wire

    @property
    def model(self) -> str:
        """What a client asks the gateway for."""
        return f"{self.row.id}/{self.row.model}"


def keyed(value: str, suffix: str = "") -> Callable[[Any], JSON]:
    """The usual shape: one API key, the mock as base URL."""
    return lambda mock: {
        "keys": [{"value": value}],
        "network_config": {"base_url": mock.base_url + suffix},
    }


def _azure(mock: Any) -> JSON:
    azure = {"endpoint": mock.base_url, "api_version": "2024-06-01"}
    key = {"value": AZURE_KEY, "aliases": {"gpt-4o": "my-gpt4o"}, "azure_key_config": azure}
    return {"keys": [key]}


def _bedrock(mock: Any) -> JSON:
    aws = {"access_key": bedrock_upstream.ACCESS_KEY, "secret_key": bedrock_upstream.SECRET_KEY}
    key = {"name": "aws", "bedrock_key_config": aws | {"region": bedrock_upstream.REGION}}
    return {"keys": [key], "network_config": {"base_url": mock.base_url}}


ROWS: tuple[Row, ...] = (
    Row("openai", "gpt-4o-mini", openai_upstream.MockOpenAI, OpenAIWire, keyed("sk-oai")),
    Row("azure", "gpt-4o", MockAzureOpenAI, OpenAIWire, _azure),
    Row("anthropic", "claude-mock", anthropic_upstream.MockAnthropic, AnthropicWire,
        keyed("sk-ant")),
    Row("gemini", "gemini-2.5-flash", gemini_upstream.MockGemini, GeminiWire, keyed("test-key")),
    Row("ollama", "llama3.2:latest", ollama_upstream.MockOllama, OllamaWire,
        lambda mock: {"network_config": {"base_url": mock.base_url}}),
    # a Claude model: Converse carries reasoning only in Claude's additionalModelRequestFields
    Row("bedrock", "anthropic.claude-3-7-sonnet-20250219-v1:0", bedrock_upstream.MockBedrock,
        BedrockWire, _bedrock),
    Row("cohere", "command-a-03-2025", cohere_upstream.MockCohere, CohereWire, keyed("co-key")),
    Row("cloudflare", CLOUDFLARE_MODEL, cloudflare_upstream.MockCloudflare,
        lambda mock: OpenAIWire(mock, cloudflare_upstream),
        keyed("cf-token", "/client/v4/accounts/acc123/ai")),
    Row("cloudflare-run", CLOUDFLARE_MODEL, cloudflare_upstream.MockCloudflare,
        CloudflareRunWire, keyed("cf-token", "/client/v4/accounts/acc123/ai")),
    # Vertex: one adapter, two wires (Gemini models, Claude models), a service account's token
    Row("vertex", "gemini-2.5-flash", VertexStack, lambda stack: GeminiWire(stack.vertex.gemini),
        vertex_config),
    Row("vertex", "claude-sonnet-4-5@20250929", VertexStack,
        lambda stack: AnthropicWire(stack.vertex.claude), vertex_config, name="vertex-claude"),
    Row("replicate", "meta/meta-llama-3-8b-instruct", replicate_upstream.MockReplicate,
        ReplicateWire, keyed("r8-token")),
)  # fmt: skip
