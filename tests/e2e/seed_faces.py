"""The mocks behind the seed-face tests (Inference Gateway, OmniRoute): OpenAI, Anthropic,
Gemini and Cohere, and a gateway config that fails fast (no retries) when one is scripted to."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from tests.mocks import anthropic_upstream, cohere_upstream, gemini_upstream, openai_upstream


class Mocks:
    def __init__(self, stack: ExitStack) -> None:
        self.openai = stack.enter_context(openai_upstream.MockOpenAI())
        self.anthropic = stack.enter_context(anthropic_upstream.MockAnthropic())
        self.gemini = stack.enter_context(gemini_upstream.MockGemini(api_keys=("test-key",)))
        self.cohere = stack.enter_context(cohere_upstream.MockCohere(api_key="co-key"))

    def reset(self) -> None:
        for mock in (self.openai, self.anthropic, self.gemini, self.cohere):
            mock.reset()

    def config(self) -> dict[str, Any]:
        return {
            "providers": {
                "openai": {
                    "keys": [{"value": "sk-oai"}],
                    "network_config": {"base_url": self.openai.base_url, "max_retries": 0},
                },
                "anthropic": {
                    "keys": [{"value": "sk-ant", "models": ["claude-mock"]}],
                    "network_config": {"base_url": self.anthropic.base_url, "max_retries": 0},
                },
                "cohere": {
                    "keys": [{"value": "co-key", "models": ["command-a-03-2025", "rerank-v3.5"]}],
                    "network_config": {"base_url": self.cohere.base_url, "max_retries": 0},
                },
                "gemini": {
                    "keys": [{"value": "test-key"}],
                    "network_config": {"base_url": self.gemini.base_url, "max_retries": 0},
                },
            }
        }
