"""Client keys on every inference dialect: accepted from each place an SDK puts them, and
refused with a 401 in the client's own error shape; /health names the counter store."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from tests.e2e.enforcement import Cluster, chat_body, cluster, virtual_key
from tests.mocks.openai_upstream import MockOpenAI

GEMINI_PATH = "/v1beta/models/openai/gpt-4o-mini:generateContent"
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
ANTHROPIC_BODY: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "hi"}],
}
OLLAMA_BODY = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": False,
}


@pytest.fixture(scope="module")
def gateway(mock_upstream: MockOpenAI, tmp_path_factory: Any) -> Iterator[Cluster]:
    workdir: Path = tmp_path_factory.mktemp("enforce-auth")
    with cluster("sqlite", workdir, mock_upstream.base_url) as running:
        yield running


@pytest.fixture(scope="module")
def key(gateway: Cluster) -> str:
    return virtual_key(gateway.api)[1]


def post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("content-type", "application/json")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())


def test_keyless_gateway_serves_anyone_until_a_key_exists(
    mock_upstream: MockOpenAI, tmp_path: Path
) -> None:
    with cluster("sqlite", tmp_path, mock_upstream.base_url) as fresh:
        url = fresh.urls[0] + "/v1/chat/completions"
        assert post(url, chat_body("openai/gpt-4o-mini"), {})[0] == 200
        virtual_key(fresh.api)
        assert post(url, chat_body("openai/gpt-4o-mini"), {})[0] == 401


def test_openai_sdk_gets_its_authentication_error(gateway: Cluster, key: str) -> None:
    base = gateway.urls[0] + "/v1"
    wrong = openai.OpenAI(base_url=base, api_key="sk-wrong", max_retries=0)
    with wrong as sdk, pytest.raises(openai.AuthenticationError) as raised:
        sdk.chat.completions.create(**chat_body("openai/gpt-4o-mini"))
    assert raised.value.status_code == 401
    with openai.OpenAI(base_url=base, api_key=key, max_retries=0) as sdk:
        answer = sdk.chat.completions.create(**chat_body("openai/gpt-4o-mini"))
    assert answer.choices[0].message.content == "echo: hi"


def test_anthropic_sdk_gets_its_authentication_error(gateway: Cluster, key: str) -> None:
    wrong = anthropic.Anthropic(base_url=gateway.urls[0], api_key="wrong", max_retries=0)
    with wrong as sdk, pytest.raises(anthropic.AuthenticationError) as raised:
        sdk.messages.create(**ANTHROPIC_BODY)
    body = raised.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error" and body["error"]["type"] == "authentication_error"
    with anthropic.Anthropic(base_url=gateway.urls[0], api_key=key, max_retries=0) as sdk:
        answer = sdk.messages.create(**ANTHROPIC_BODY)
    assert answer.content[0].type == "text"


def test_gemini_key_in_header_or_query(gateway: Cluster, key: str) -> None:
    url = gateway.urls[0] + GEMINI_PATH
    status, body = post(url, GEMINI_BODY, {"x-goog-api-key": "wrong"})
    assert status == 401
    assert body["error"]["code"] == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    assert post(url, GEMINI_BODY, {"x-goog-api-key": key})[0] == 200
    assert post(f"{url}?key={key}", GEMINI_BODY, {})[0] == 200


def test_ollama_and_bifrost_header(gateway: Cluster, key: str) -> None:
    url = gateway.urls[0] + "/api/chat"
    status, body = post(url, OLLAMA_BODY, {})
    assert status == 401
    assert isinstance(body["error"], str) and "client key" in body["error"]
    assert post(url, OLLAMA_BODY, {"x-bf-vk": key})[0] == 200
    # an SDK's own (non-gateway) key in Authorization does not hide the virtual key
    headers = {"authorization": "Bearer sk-provider-key", "x-bf-vk": key}
    assert (
        post(gateway.urls[0] + "/v1/chat/completions", chat_body("gpt-4o-mini"), headers)[0] == 200
    )


def test_health_names_the_counter_store(gateway: Cluster) -> None:
    with urllib.request.urlopen(gateway.urls[0] + "/health", timeout=10) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok"
    assert health["components"]["counters"] == "memory: ok"


@pytest.mark.parametrize(("mode", "anonymous"), [("always", 401), ("never", 200)])
def test_require_client_key_setting(
    mock_upstream: MockOpenAI, tmp_path: Path, mode: str, anonymous: int
) -> None:
    extra = {"CLOVERLEAF_REQUIRE_CLIENT_KEY": mode}
    with cluster("sqlite", tmp_path, mock_upstream.base_url, extra=extra) as running:
        url = running.urls[0] + "/v1/chat/completions"
        if mode == "always":  # no key exists yet, and still one is needed
            assert post(url, chat_body("openai/gpt-4o-mini"), {})[0] == 401
        _, key = virtual_key(running.api, provider_configs=[])
        assert post(url, chat_body("openai/gpt-4o-mini"), {})[0] == anonymous
        # a key that is presented is enforced either way (this one may use nothing)
        headers = {"authorization": f"Bearer {key}"}
        assert post(url, chat_body("openai/gpt-4o-mini"), headers)[0] == 403
