"""The official ollama SDK discovers the gateway's models through Ollama's own endpoints."""

from __future__ import annotations

import json
import urllib.request

import ollama
import pytest

from tests.gateway_process import GatewayProcess


def test_tags_show_and_version(gateway: GatewayProcess) -> None:
    with ollama.Client(host=gateway.base_url) as client:
        _check(client)
    with urllib.request.urlopen(gateway.base_url + "/api/version", timeout=5) as response:
        assert json.loads(response.read())["version"]


def _check(client: ollama.Client) -> None:
    names = {model.model for model in client.list().models}
    assert {"openai/gpt-4o-mini", "openai/gpt-4o", "acme/only-this", "fast"} <= names
    shown = client.show("openai/gpt-4o")
    assert shown.details is not None and shown.details.family == "openai"
    assert shown.capabilities is not None and "completion" in shown.capabilities
    with pytest.raises(ollama.ResponseError) as caught:
        client.show("nobody/serves-this")
    assert caught.value.status_code == 404
    assert "not found" in caught.value.error
