"""What a conformance case is, what it runs with, and how a refused capability must look."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from cloverleaf.providers.chat_adapters import Capability
from tests.conformance.adapters import Target
from tests.conformance.client import Answer, ask
from tests.conformance.wires.base import JSON, Wire
from tests.e2e.dialects.clients import TOOL
from tests.gateway_process import GatewayProcess

TOOLS: list[JSON] = [{"type": "function", "function": TOOL}]
#: a 1x1 PNG
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@dataclass(frozen=True)
class Run:
    """One case against one adapter in one mode: the client, the gateway and the mock."""

    sdk: openai.OpenAI
    gateway: GatewayProcess
    target: Target
    stream: bool

    @property
    def wire(self) -> Wire:
        return self.target.wire

    def ask(self, **params: Any) -> Answer:
        return ask(self.sdk, self.target.model, self.stream, **params)

    def only_request(self) -> JSON:
        """The one upstream request the call made, checked to be in the client's mode."""
        assert self.wire.request_count() == 1, self.wire.bodies()
        assert self.wire.streamed(0) is self.stream
        return self.wire.bodies()[0]

    def refused(self, param: str, **params: Any) -> openai.BadRequestError:
        """The gateway answers 400 naming `param`, and the upstream is never called."""
        with pytest.raises(openai.BadRequestError) as caught:
            self.ask(**params)
        error = caught.value
        assert param in (error.param or "") or param in error.message, error.message
        assert self.wire.request_count() == 0
        return error


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Run], None]
    #: the adapter capability the case exercises (None: every adapter must pass it)
    needs: Capability | None = None


def user(text: str) -> list[JSON]:
    return [{"role": "user", "content": text}]


def with_image(url: str) -> list[JSON]:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return [{"role": "user", "content": parts}]


@dataclass(frozen=True)
class Refusal:
    """A request that needs a capability, and the parameter the gateway's 400 must name."""

    param: str
    params: Callable[[], JSON]
    stream: bool | None = None  # None: in the run's mode


#: how to prove a capability an adapter declares missing is refused rather than dropped
REFUSALS: dict[Capability, Refusal] = {
    Capability.SYSTEM: Refusal(
        "messages[0]",
        lambda: {"messages": [{"role": "system", "content": "Be brief."}, *user("Hi")]},
    ),
    Capability.IMAGES: Refusal(
        "messages[0].content[1]",
        lambda: {"messages": with_image(f"data:image/png;base64,{PNG_BASE64}")},
    ),
    Capability.TOOLS: Refusal("tools", lambda: {"messages": user("Weather?"), "tools": TOOLS}),
    Capability.JSON_OUTPUT: Refusal(
        "response_format",
        lambda: {"messages": user("JSON please"), "response_format": {"type": "json_object"}},
    ),
    Capability.REASONING: Refusal(
        "reasoning_effort", lambda: {"messages": user("Think"), "reasoning_effort": "high"}
    ),
    Capability.STREAMING: Refusal("stream", lambda: {"messages": user("Hi")}, stream=True),
}


def assert_refused(run: Run, capability: Capability) -> None:
    """Usage has no request parameter to refuse: an adapter without it is only skipped."""
    refusal = REFUSALS.get(capability)
    if refusal is None:
        return
    mode = run.stream if refusal.stream is None else refusal.stream
    Run(run.sdk, run.gateway, run.target, mode).refused(refusal.param, **refusal.params())
