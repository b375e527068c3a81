"""The upstream adapters under test, one row each: which mock, which wire, which config.

Adding a provider (Vertex, Replicate, ...) is one row here (plus a `Wire` if it speaks a wire
format no row speaks yet). What an adapter can do is read from the registry, never from here:
the suite skips exactly what the adapter itself declares it cannot carry.
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
from tests.mocks import (
    anthropic_upstream,
    bedrock_upstream,
    cloudflare_upstream,
    cohere_upstream,
    gemini_upstream,
    ollama_upstream,
    openai_upstream,
)
from tests.mocks.azure_front import API_KEY as AZURE_KEY
from tests.mocks.azure_front import MockAzureOpenAI

#: one retry, almost no backoff: the 5xx case sees two attempts, and stays fast
RETRIES = {"max_retries": 1, "retry_backoff_initial": 1, "retry_backoff_max": 5}
CLOUDFLARE_MODEL = "@cf/meta/llama-3.1-8b-instruct"


@dataclass(frozen=True)
class Row:
    """`provider` is the registry name the gateway config uses; `mock()` makes an unstarted
    mock (a context manager that starts it); `config(base_url)` is the provider's config."""

    provider: str
    model: str
    mock: Callable[[], AbstractContextManager[Any]]
    wire: Callable[[Any], Wire]
    config: Callable[[str], JSON]

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the registry's adapter for this provider and model declares it can carry."""
        spec = BUILTIN[self.provider]
        adapter = CHAT_ADAPTERS[spec.adapter or spec.dialect]
        return adapter.for_model(self.model).capabilities

    def provider_config(self, base_url: str) -> JSON:
        config = self.config(base_url)
        config["network_config"] = config.get("network_config", {}) | RETRIES
        return config


@dataclass(frozen=True)
class Target:
    """A row with its mock running."""

    row: Row
    wire: Wire

    @property
    def model(self) -> str:
        """What a client asks the gateway for."""
        return f"{self.row.provider}/{self.row.model}"


def keyed(value: str, suffix: str = "") -> Callable[[str], JSON]:
    """The usual shape: one API key, the mock as base URL."""
    return lambda url: {"keys": [{"value": value}], "network_config": {"base_url": url + suffix}}


def _azure(url: str) -> JSON:
    azure = {"endpoint": url, "api_version": "2024-06-01"}
    key = {"value": AZURE_KEY, "aliases": {"gpt-4o": "my-gpt4o"}, "azure_key_config": azure}
    return {"keys": [key]}


def _bedrock(url: str) -> JSON:
    aws = {"access_key": bedrock_upstream.ACCESS_KEY, "secret_key": bedrock_upstream.SECRET_KEY}
    key = {"name": "aws", "bedrock_key_config": aws | {"region": bedrock_upstream.REGION}}
    return {"keys": [key], "network_config": {"base_url": url}}


ROWS: tuple[Row, ...] = (
    Row("openai", "gpt-4o-mini", openai_upstream.MockOpenAI, OpenAIWire, keyed("sk-oai")),
    Row("azure", "gpt-4o", MockAzureOpenAI, OpenAIWire, _azure),
    Row("anthropic", "claude-mock", anthropic_upstream.MockAnthropic, AnthropicWire,
        keyed("sk-ant")),
    Row("gemini", "gemini-2.5-flash", gemini_upstream.MockGemini, GeminiWire, keyed("test-key")),
    Row("ollama", "llama3.2:latest", ollama_upstream.MockOllama, OllamaWire,
        lambda url: {"network_config": {"base_url": url}}),
    # a Claude model: Converse carries reasoning only in Claude's additionalModelRequestFields
    Row("bedrock", "anthropic.claude-3-7-sonnet-20250219-v1:0", bedrock_upstream.MockBedrock,
        BedrockWire, _bedrock),
    Row("cohere", "command-a-03-2025", cohere_upstream.MockCohere, CohereWire, keyed("co-key")),
    Row("cloudflare", CLOUDFLARE_MODEL, cloudflare_upstream.MockCloudflare,
        lambda mock: OpenAIWire(mock, cloudflare_upstream),
        keyed("cf-token", "/client/v4/accounts/acc123/ai")),
    Row("cloudflare-run", CLOUDFLARE_MODEL, cloudflare_upstream.MockCloudflare,
        CloudflareRunWire, keyed("cf-token", "/client/v4/accounts/acc123/ai")),
)  # fmt: skip
