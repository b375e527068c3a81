"""The OpenAI SDK as the e2e tests use it against a running gateway."""

from __future__ import annotations

import openai

from tests.gateway_process import GatewayProcess


def openai_sdk(gateway: GatewayProcess, prefix: str = "/v1") -> openai.OpenAI:
    """No retries (a test sees the gateway's first answer) and a bounded wait; the key is any
    string: these gateways need no client key."""
    return openai.OpenAI(
        base_url=gateway.base_url + prefix, api_key="sk-client", max_retries=0, timeout=20
    )
