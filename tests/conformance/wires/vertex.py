"""Vertex AI speaks two wires the suite already reads (Gemini's, Anthropic's) behind its own
URLs and OAuth; what is Vertex's own is the running stack and its provider config.

The Vertex mock forwards each call to its inner Gemini or Anthropic mock, which records and
answers it, so a row's wire is simply `GeminiWire(stack.vertex.gemini)` or
`AnthropicWire(stack.vertex.claude)`.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Self

import orjson

from tests.mocks.oauth_upstream import MockIdentity, service_account
from tests.mocks.vertex_upstream import MockVertex

PROJECT, REGION = "conformance-project", "europe-west4"


class VertexStack:
    """The identity mock (token endpoint) and the Vertex mock that accepts its tokens; the
    service account is generated per run and the identity mock told its public key."""

    def __init__(self) -> None:
        self.identity = MockIdentity()
        self.vertex = MockVertex(self.identity.accepts, project=PROJECT, region=REGION)
        self.account: dict[str, Any] = {}
        self._stack = ExitStack()

    @property
    def base_url(self) -> str:
        return self.vertex.base_url

    def __enter__(self) -> Self:
        with ExitStack() as stack:
            stack.enter_context(self.identity)
            stack.enter_context(self.vertex)
            self.account, self.identity.google = service_account(self.identity.token_uri)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()


def vertex_config(stack: VertexStack) -> dict[str, Any]:
    block = {
        "project_id": PROJECT,
        "region": REGION,
        "auth_credentials": orjson.dumps(stack.account).decode(),
    }
    return {
        "keys": [{"name": "sa", "vertex_key_config": block}],
        "network_config": {"base_url": stack.base_url},
    }
