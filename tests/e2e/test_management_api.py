"""The providers and keys API on a real gateway process, once per config-store backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.management.backends import BACKENDS, backend_env
from tests.management.client import ManagementClient
from tests.management.seed_schema import INFERENCE_COMMON, assert_valid
from tests.mocks.openai_upstream import MockOpenAI

ADMIN_KEY = "admin-secret-for-tests-42"
SECRET = "sk-live-THIS-MUST-NEVER-LEAK-0123456789"


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest,
    mock_upstream: MockOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp(f"mgmt-{request.param}")
    config = {
        "providers": {
            "openai": {
                "keys": [
                    {"id": "file-key", "name": "from-file", "value": "sk-file-key-0000000000"}
                ],
                "network_config": {"base_url": mock_upstream.base_url},
            }
        }
    }
    with backend_env(request.param) as env:
        env["CLOVERLEAF_ADMIN_KEY"] = ADMIN_KEY
        with GatewayProcess(workdir, config, env=env) as process:
            yield process


@pytest.fixture
def api(gateway: GatewayProcess) -> ManagementClient:
    return ManagementClient(gateway.base_url, ADMIN_KEY)


def _error(payload: Any, status: int) -> str:
    assert_valid(payload, "BifrostError", INFERENCE_COMMON)
    assert payload["status_code"] == status
    message: str = payload["error"]["message"]
    assert message
    return message


def test_provider_crud_round_trip(api: ManagementClient, upstream: MockOpenAI) -> None:
    listed = api.ok("GET", "/api/providers")
    assert_valid(listed, "ListProvidersResponse")
    assert [p["name"] for p in listed["providers"]] == ["openai"]
    assert listed["connections"][0]["id"] == "file-key"
    assert listed["providers"][0]["config_hash"]  # imported from the config file

    body = {
        "provider": "groq",
        "network_config": {"base_url": upstream.base_url, "max_retries": 1},
        "concurrency_and_buffer_size": {"concurrency": 7, "buffer_size": 9},
        "proxy_config": {"type": "http", "url": "127.0.0.1:1", "password": SECRET},
        "send_back_raw_request": True,
        "store_raw_request_response": True,
    }
    created = api.ok("POST", "/api/providers", body)
    assert_valid(created, "ProviderResponse")
    assert created["name"] == "groq"
    assert created["provider_status"] == "active"
    assert created["concurrency_and_buffer_size"] == {"concurrency": 7, "buffer_size": 9}
    assert created["send_back_raw_request"] is True
    # stored and shown; it has no effect yet (there are no request logs to store into)
    assert created["store_raw_request_response"] is True
    assert api.ok("GET", "/api/providers/groq") == created

    update = {
        "network_config": {"base_url": upstream.base_url + "/x"},
        "send_back_raw_response": True,
    }
    updated = api.ok("PUT", "/api/providers/groq", update)
    assert_valid(updated, "ProviderResponse")
    assert updated["network_config"]["base_url"] == upstream.base_url + "/x"
    assert updated["send_back_raw_response"] is True
    assert updated["send_back_raw_request"] is False  # PUT replaces the whole config
    assert updated["store_raw_request_response"] is False
    assert updated["proxy_config"]["type"] == "none"
    assert {p["name"] for p in api.ok("GET", "/api/providers")["providers"]} == {"openai", "groq"}

    deleted = api.ok("DELETE", "/api/providers/groq")
    assert deleted["name"] == "groq"
    status, payload = api.call("GET", "/api/providers/groq")
    assert status == 404
    assert "groq" in _error(payload, 404)
    assert SECRET not in b"".join(api.seen).decode()


def test_key_crud_round_trip(api: ManagementClient) -> None:
    key = {
        "id": "k-full",
        "name": "everything",
        "value": SECRET,
        "models": ["gpt-4o"],
        "blacklisted_models": ["gpt-3.5"],
        "weight": 2.5,
        "aliases": {"fast": "gpt-4o-mini"},
        "azure_key_config": {"api_version": "2024-10-21", "client_secret": SECRET + "-azure"},
        "vertex_key_config": {"project_id": "proj", "region": "us-central1"},
        "bedrock_key_config": {"region": "eu-west-1", "secret_key": SECRET + "-aws"},
        "replicate_key_config": {"use_deployments_endpoint": True},
        "enabled": False,
        "use_for_batch_api": True,
        "status": "success",
        "description": "all fields",
    }
    created = api.ok("POST", "/api/providers/openai/keys", key)
    assert_valid(created, "Key")
    for field in ("id", "name", "models", "blacklisted_models", "weight", "aliases", "enabled"):
        assert created[field] == key[field], field
    assert created["use_for_batch_api"] is True
    assert created["vertex_key_config"]["project_id"]["value"] == "proj"
    assert created["azure_key_config"]["api_version"]["value"] == "2024-10-21"
    assert created["replicate_key_config"] == {"use_deployments_endpoint": True}
    assert created["value"]["value"] != SECRET

    listed = api.ok("GET", "/api/providers/openai/keys")
    assert_valid(listed, "ListProviderKeysResponse")
    assert [k["id"] for k in listed["keys"]] == ["file-key", "k-full"]
    assert api.ok("GET", "/api/providers/openai/keys/k-full") == created

    # send back what GET returned, with one change: redacted secrets are kept
    changed = {**created, "name": "renamed", "enabled": True}
    updated = api.ok("PUT", "/api/providers/openai/keys/k-full", changed)
    assert_valid(updated, "Key")
    assert updated["name"] == "renamed"
    assert updated["value"] == created["value"]
    assert (
        updated["bedrock_key_config"]["secret_key"] == created["bedrock_key_config"]["secret_key"]
    )

    deleted = api.ok("DELETE", "/api/providers/openai/keys/k-full")
    assert deleted["id"] == "k-full"
    status, payload = api.call("GET", "/api/providers/openai/keys/k-full")
    assert status == 404
    _error(payload, 404)
    assert SECRET not in b"".join(api.seen).decode()


def test_key_added_through_the_api_serves_the_next_request(
    api: ManagementClient, gateway: GatewayProcess, upstream: MockOpenAI
) -> None:
    api.ok(
        "POST",
        "/api/providers",
        {"provider": "mistral", "network_config": {"base_url": upstream.base_url}},
    )
    try:
        created = api.ok("POST", "/api/providers/mistral/keys", {"value": SECRET, "name": "fresh"})
        assert created["id"]  # generated
        with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="c", max_retries=0) as sdk:
            sdk.chat.completions.create(
                model="mistral/mistral-small", messages=[{"role": "user", "content": "hi"}]
            )
        assert upstream.last_request.headers["authorization"] == f"Bearer {SECRET}"
    finally:
        api.ok("DELETE", "/api/providers/mistral")
    assert SECRET not in b"".join(api.seen).decode()


def test_env_reference_is_stored_as_a_reference(api: ManagementClient) -> None:
    status, payload = api.call(
        "POST", "/api/providers/openai/keys", {"id": "k-env", "value": "env.NOT_SET_ANYWHERE_X"}
    )
    assert status == 400
    assert "NOT_SET_ANYWHERE_X" in _error(payload, 400)


@pytest.mark.parametrize(
    "case",
    [
        ("POST", "/api/providers", {"provider": "no-such-vendor"}, 400, "no-such-vendor"),
        ("POST", "/api/providers", {"provider": "client"}, 400, "reserved"),
        ("POST", "/api/providers", {"provider": 42}, 400, "provider"),
        ("POST", "/api/providers", {"provider": "openai"}, 409, "already exists"),
        (
            "POST",
            "/api/providers",
            {"provider": "groq", "network_config": {"max_retries": "x"}},
            400,
            "max_retries",
        ),
        ("POST", "/api/providers", {"provider": "groq", "keys": []}, 400, "keys"),
        ("POST", "/api/providers", b"{not json", 400, "JSON"),
        (
            "POST",
            "/api/providers",
            {"provider": "groq", "network_config": []},
            400,
            "network_config",
        ),
        (
            "POST",
            "/api/providers",
            {"provider": "groq", "send_back_raw_request": "yes"},
            400,
            "send_back_raw_request",
        ),
        (
            "POST",
            "/api/providers",
            {"provider": "groq", "concurrency_and_buffer_size": {"concurrency": "10"}},
            400,
            "concurrency_and_buffer_size.concurrency",
        ),
        ("PUT", "/api/providers/nobody", {}, 400, "nobody"),
        ("PUT", "/api/providers/client", {}, 400, "reserved"),
        ("PUT", "/api/providers/openai", {"network_config": []}, 400, "network_config"),
        ("PUT", "/api/providers/openai", {"proxy_config": {"type": "ftp"}}, 400, "proxy_config"),
        (
            "PUT",
            "/api/providers/openai",
            {"store_raw_request_response": 1},
            400,
            "store_raw_request_response",
        ),
        ("PUT", "/api/providers/openai", {"keys": []}, 400, "keys"),
        ("POST", "/api/providers/openai/keys", {"value": SECRET, "weight": "heavy"}, 400, "weight"),
        ("POST", "/api/providers/openai/keys", {"value": SECRET, "weight": "2"}, 400, "weight"),
        ("POST", "/api/providers/openai/keys", {"value": SECRET, "models": 5}, 400, "models"),
        ("POST", "/api/providers/openai/keys", {"value": SECRET, "enabled": "no"}, 400, "enabled"),
        ("POST", "/api/providers/openai/keys", {"value": 5}, 400, "value"),
        ("POST", "/api/providers/openai/keys", {"id": 5, "value": SECRET}, 400, "id"),
        ("POST", "/api/providers/openai/keys", {"name": "no value"}, 400, "value"),
        (
            "PUT",
            "/api/providers/openai/keys/file-key",
            {"value": SECRET, "weight": "x"},
            400,
            "weight",
        ),
        (
            "PUT",
            "/api/providers/openai/keys/file-key",
            {"value": SECRET, "models": 5},
            400,
            "models",
        ),
        (
            "PUT",
            "/api/providers/openai/keys/file-key",
            {"value": SECRET, "aliases": []},
            400,
            "aliases",
        ),
        ("PUT", "/api/providers/nobody/keys/file-key", {"value": SECRET}, 404, "nobody"),
        (
            "POST",
            "/api/providers/openai/keys",
            {"id": "file-key", "value": SECRET},
            409,
            "file-key",
        ),
        ("POST", "/api/providers/nobody/keys", {"value": SECRET}, 404, "nobody"),
        ("PUT", "/api/providers/openai/keys/file-key", {"id": "other", "value": "x"}, 400, "id"),
        ("GET", "/api/providers/client", None, 501, "not implemented"),
    ],
)
def test_bad_input_gets_a_message(
    api: ManagementClient, case: tuple[str, str, Any, int, str]
) -> None:
    method, path, body, status, words = case
    got, payload = api.call(method, path, body)
    assert got == status, payload
    assert words in _error(payload, status)
    assert SECRET not in b"".join(api.seen).decode()


def test_a_type_error_names_its_field_in_param(api: ManagementClient) -> None:
    body = {"provider": "groq", "network_config": {"max_retries": "2"}}
    status, payload = api.call("POST", "/api/providers", body)
    assert status == 400
    assert payload["error"]["param"] == "network_config.max_retries"
    status, payload = api.call("POST", "/api/providers/openai/keys", {"value": "x", "models": 5})
    assert status == 400
    assert payload["error"]["param"] == "models"


def test_duplicates_are_conflicts_as_the_seed_declares(api: ManagementClient) -> None:
    """Seed 000 declares 409 for an existing provider (addProvider) and key id
    (createProviderKey), so a duplicate is a conflict, not a 400."""
    status, payload = api.call("POST", "/api/providers", {"provider": "openai"})
    assert status == 409
    assert "'openai' already exists" in _error(payload, 409)
    api.ok("POST", "/api/providers", {"provider": "groq"})
    try:
        status, payload = api.call(
            "POST", "/api/providers/groq/keys", {"id": "file-key", "value": "v"}
        )
        assert status == 409
        assert "'file-key' already exists (provider 'openai')" in _error(payload, 409)
    finally:
        api.ok("DELETE", "/api/providers/groq")


def test_put_creates_a_provider_not_configured_yet(
    api: ManagementClient, upstream: MockOpenAI
) -> None:
    """Bifrost's PUT upserts: the seed declares no 404 for updateProvider."""
    body = {"network_config": {"base_url": upstream.base_url}, "send_back_raw_response": True}
    created = api.ok("PUT", "/api/providers/perplexity", body)
    try:
        assert_valid(created, "ProviderResponse")
        assert created["provider_status"] == "active"
        assert created["send_back_raw_response"] is True
        assert api.ok("GET", "/api/providers/perplexity") == created
        assert api.ok("GET", "/api/providers/perplexity/keys")["keys"] == []
    finally:
        api.ok("DELETE", "/api/providers/perplexity")


def test_admin_key_is_required(api: ManagementClient) -> None:
    for token in ("", "wrong"):
        status, payload = api.call("GET", "/api/providers", token=token)
        assert status == 401
        _error(payload, 401)
    status, _ = api.call("GET", "/health", token="")
    assert status == 200


def test_omniroute_connection_create_patch_delete(
    api: ManagementClient, upstream: MockOpenAI
) -> None:
    body = {"provider": "cerebras", "url": upstream.base_url, "apiKey": SECRET, "name": "c1"}
    created = api.ok("POST", "/api/providers", body, status=201)
    assert created["provider"] == "cerebras"
    assert created["isActive"] is True
    connection_id = created["id"]
    assert api.ok("GET", f"/api/providers/{connection_id}") == created
    patched = api.ok("PATCH", f"/api/providers/{connection_id}", {"isActive": False})
    assert patched["isActive"] is False
    key = api.ok("GET", f"/api/providers/cerebras/keys/{connection_id}")
    assert key["enabled"] is False
    assert key["value"]["value"] != SECRET  # redacted, and kept through the PATCH
    api.ok("DELETE", f"/api/providers/{connection_id}")
    assert api.ok("GET", "/api/providers/cerebras/keys")["keys"] == []
    api.ok("DELETE", "/api/providers/cerebras")
    assert SECRET not in b"".join(api.seen).decode()


def test_logs_never_contain_a_secret(api: ManagementClient, gateway: GatewayProcess) -> None:
    api.ok("POST", "/api/providers/openai/keys", {"id": "k-log", "value": SECRET})
    api.ok("DELETE", "/api/providers/openai/keys/k-log")
    assert SECRET not in gateway.logs()
    assert ADMIN_KEY not in gateway.logs()
    for path in (gateway.workdir / "data").glob("cloverleaf.db*"):  # SQLite: encrypted at rest
        assert SECRET.encode() not in path.read_bytes()
