"""Vertex URLs from per-key project and region, the Claude variant's body, and bearer auth."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cloverleaf.config.load import ConfigError
from cloverleaf.config.providers import ProviderConfig
from cloverleaf.formats.anthropic.dialect import AnthropicDialect
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.same_dialect import same_dialect_request
from cloverleaf.pipeline.translate import translated_request
from cloverleaf.providers.auth import auth_headers
from cloverleaf.routing.table import ProviderRoute, Target, build_route
from tests.mocks.oauth_upstream import service_account

PREFIX = "/v1/projects/my-proj/locations/europe-west4/publishers"


def _route(name: str, key: dict[str, Any], **network: Any) -> ProviderRoute:
    config = {"keys": [key], "network_config": network}
    return build_route(name, ProviderConfig.model_validate(config))


def _vertex(region: str | None = "europe-west4", **network: Any) -> ProviderRoute:
    block = {"project_id": "my-proj"} | ({"region": region} if region else {})
    return _route("vertex", {"name": "v", "value": "tok", "vertex_key_config": block}, **network)


def test_gemini_and_claude_urls_come_from_the_key() -> None:
    route = _vertex()
    key = route.keys[0]
    host = "https://europe-west4-aiplatform.googleapis.com"
    assert route.chat_url(key, "gemini-2.5-flash", False) == (
        f"{host}{PREFIX}/google/models/gemini-2.5-flash:generateContent"
    )
    assert route.chat_url(key, "gemini-2.5-flash", True) == (
        f"{host}{PREFIX}/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert route.chat_url(key, "claude-opus-4", True) == (
        f"{host}{PREFIX}/anthropic/models/claude-opus-4:streamRawPredict"
    )
    counting = Target(route, "gemini-2.5-flash").adapter.counting
    assert counting is not None
    assert route.url(key, counting.path("g")).endswith(f"{PREFIX}/google/models/g:countTokens")


def test_region_defaults_global_has_no_prefix_and_base_url_overrides_the_host() -> None:
    default = _vertex(region=None)
    assert default.url(default.keys[0], "").startswith(
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1"
    )
    world = _vertex(region="global")
    assert world.url(world.keys[0], "") == (
        "https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global"
    )
    local = _vertex(base_url="http://127.0.0.1:9")
    assert local.url(local.keys[0], "/x") == (
        "http://127.0.0.1:9/v1/projects/my-proj/locations/europe-west4/x"
    )


def test_a_key_that_cannot_fill_the_url_or_sign_in_stops_the_config() -> None:
    with pytest.raises(ConfigError, match=r"'vertex'.*'bare'.*\{project\}"):
        _route("vertex", {"name": "bare", "value": "tok"})
    with pytest.raises(ConfigError, match=r"'vertex'.*'nop'.*project_id is required"):
        _route("vertex", {"name": "nop", "value": "t", "vertex_key_config": {"region": "x"}})
    bad = {"project_id": "p", "auth_credentials": '{"client_email": "a@b"}'}
    with pytest.raises(ConfigError, match=r"'vertex'.*'sa'.*private_key"):
        _route("vertex", {"name": "sa", "vertex_key_config": bad})


def test_bedrock_regions_still_come_from_aws_credentials() -> None:
    aws = {"access_key": "AKIA", "secret_key": "s", "region": "eu-west-1"}
    route = _route("bedrock", {"name": "b", "bedrock_key_config": aws})
    assert route.url(route.keys[0], "/x") == "https://bedrock-runtime.eu-west-1.amazonaws.com/x"


def test_token_sourced_keys_send_a_bearer_even_on_azure() -> None:
    info, _ = service_account("https://oauth2.googleapis.com/token")
    vertex = _route(
        "vertex",
        {
            "name": "sa",
            "vertex_key_config": {
                "project_id": "p",
                "auth_credentials": orjson.dumps(info).decode(),
            },
        },
    )
    assert vertex.keys[0].token_source is not None
    entra = {"client_id": "c", "client_secret": "s", "tenant_id": "t", "endpoint": "https://r"}
    azure = _route("azure", {"name": "e", "azure_key_config": entra})
    source = azure.keys[0].token_source
    assert source is not None
    source._token = "entra-token"  # type: ignore[attr-defined]  # as after a refresh
    source._fresh_until = float("inf")  # type: ignore[attr-defined]
    headers = auth_headers(
        azure.spec, azure.keys[0].credential, method="POST", url="u", headers=[], body=b""
    )
    assert headers == [("authorization", "Bearer entra-token")]
    assert "entra-token" not in repr(azure.keys[0].credential)
    plain = _route(
        "azure", {"name": "k", "value": "key-1", "azure_key_config": {"endpoint": "https://r"}}
    )
    assert auth_headers(
        plain.spec, plain.keys[0].credential, method="POST", url="u", headers=[], body=b""
    ) == [("api-key", "key-1")]


def _anthropic_client(stream: bool) -> ClientChat:
    body: dict[str, Any] = {
        "model": "vertex/claude-opus-4",
        "max_tokens": 20,
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
        "metadata": {"user_id": "u1"},
    }
    return ClientChat(AnthropicDialect(), body, body["model"], stream, raw=orjson.dumps(body))


def test_claude_bodies_drop_model_and_carry_the_vertex_version() -> None:
    route = _vertex()
    target, key = Target(route, "claude-opus-4"), route.keys[0]
    forwarded = same_dialect_request(_anthropic_client(True), target, key)
    body = orjson.loads(forwarded.body)
    assert "model" not in body and body["anthropic_version"] == "vertex-2023-10-16"
    assert body["metadata"] == {"user_id": "u1"} and body["stream"] is True
    assert forwarded.url.endswith("/anthropic/models/claude-opus-4:streamRawPredict")
    assert ("authorization", "Bearer tok") in forwarded.headers
    client = _anthropic_client(False)
    translated = orjson.loads(translated_request(client, target, key).body)
    assert "model" not in translated and translated["anthropic_version"] == "vertex-2023-10-16"
    assert translated["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
