"""ENABLE_AUTH=true on a real gateway process, with a mock OIDC issuer on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.gateway_process import GatewayProcess, free_port
from tests.management.client import ManagementClient
from tests.management.seed_schema import INFERENCE_COMMON, assert_valid
from tests.mocks.oidc_issuer import CLIENT_ID, MockOidcIssuer, new_key
from tests.mocks.openai_upstream import MockOpenAI

ADMIN_KEY = "admin-key-beside-oidc-0123456789"


def _config(upstream: MockOpenAI) -> dict[str, Any]:
    return {
        "providers": {
            "openai": {
                "keys": [{"name": "k", "value": "sk-upstream-oidc"}],
                "network_config": {"base_url": upstream.base_url},
            }
        }
    }


def _auth_env(issuer_url: str) -> dict[str, str]:
    return {
        "ENABLE_AUTH": "true",
        "OIDC_ISSUER_URL": issuer_url,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "CLOVERLEAF_ADMIN_KEY": ADMIN_KEY,
    }


@pytest.fixture(scope="module")
def issuer() -> Iterator[MockOidcIssuer]:
    with MockOidcIssuer() as mock:
        yield mock


@pytest.fixture(scope="module")
def gateway(
    issuer: MockOidcIssuer, mock_upstream: MockOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("oidc")
    env = _auth_env(issuer.issuer)
    with GatewayProcess(workdir, _config(mock_upstream), env=env) as process:
        yield process


def _raw(
    base_url: str, path: str, token: str | None, method: str = "GET"
) -> tuple[int, dict[str, str], Any]:
    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(base_url + path, data=data, method=method)
    if token is not None:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _bifrost_401(api: ManagementClient, token: str | None, fragment: str) -> None:
    status, payload = api.call("GET", "/api/providers", token=token)
    assert status == 401, payload
    assert_valid(payload, "BifrostError", INFERENCE_COMMON)
    assert payload["status_code"] == 401
    assert fragment in payload["error"]["message"]


def test_a_valid_token_and_the_admin_key_both_open_management(
    gateway: GatewayProcess, issuer: MockOidcIssuer
) -> None:
    api = ManagementClient(gateway.base_url)
    for token in (issuer.token(), issuer.token(issuer.keys[1]), ADMIN_KEY):
        status, payload = api.call("GET", "/api/providers", token=token)
        assert status == 200, payload
        assert [p["name"] for p in payload["providers"]] == ["openai"]


def test_bad_tokens_are_401_in_bifrost_shape(
    gateway: GatewayProcess, issuer: MockOidcIssuer
) -> None:
    api = ManagementClient(gateway.base_url)
    _bifrost_401(api, None, "Authorization: Bearer")
    _bifrost_401(api, issuer.token(aud="another-client"), "(aud)")
    _bifrost_401(api, issuer.token(iss="http://127.0.0.1:9/realms/evil"), "(iss)")
    _bifrost_401(api, issuer.token(lifetime_s=-600), "expired")
    impostor = new_key()
    _bifrost_401(api, issuer.token(impostor, kid=issuer.keys[0].kid), "signature")
    _bifrost_401(api, issuer.token(impostor), "(kid)")
    _bifrost_401(api, "not-the-admin-key", "neither the admin key nor a JWT")


def test_a_rotated_key_is_picked_up_at_once(
    gateway: GatewayProcess, issuer: MockOidcIssuer
) -> None:
    rotated = issuer.rotate("ES256")
    status, payload = ManagementClient(gateway.base_url).call(
        "GET", "/api/providers", token=issuer.token(rotated)
    )
    assert status == 200, payload


def test_inference_routes_need_a_token_in_their_own_dialect(
    gateway: GatewayProcess, issuer: MockOidcIssuer, upstream: MockOpenAI
) -> None:
    status, headers, payload = _raw(gateway.base_url, "/v1/models", None)
    assert status == 401 and payload["error"]["code"] == "invalid_token"
    assert headers["www-authenticate"].startswith("Bearer")
    status, _, payload = _raw(
        gateway.base_url, "/anthropic/v1/messages", issuer.token(aud="x"), "POST"
    )
    assert status == 401 and payload["type"] == "error" and "(aud)" in payload["error"]["message"]
    gemini = "/v1beta/models/gemini-2.0-flash:generateContent"
    status, _, payload = _raw(gateway.base_url, gemini, issuer.token(lifetime_s=-600), "POST")
    assert status == 401 and payload["error"]["status"] == "UNAUTHENTICATED"
    assert "expired" in payload["error"]["message"]
    status, _, payload = _raw(gateway.base_url, "/api/tags", None)
    assert status == 401 and isinstance(payload["error"], str)
    status, _, payload = _raw(gateway.base_url, "/health", None)
    assert status == 200 and payload["status"] == "ok"

    token = issuer.token()
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key=token, max_retries=0) as sdk:
        answer = sdk.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert answer.choices[0].message.content == "echo: hi"
    # the client's token is checked by the gateway and never forwarded upstream
    assert upstream.last_request.headers["authorization"] == "Bearer sk-upstream-oidc"
    assert token not in gateway.logs()


def test_an_unreachable_issuer_is_a_503(mock_upstream: MockOpenAI, tmp_path: Path) -> None:
    env = _auth_env(f"http://127.0.0.1:{free_port()}/realms/down")
    with GatewayProcess(tmp_path, _config(mock_upstream), env=env) as gateway:
        api = ManagementClient(gateway.base_url)
        with MockOidcIssuer() as elsewhere:
            token = elsewhere.token()
        status, payload = api.call("GET", "/api/providers", token=token)
        assert status == 503, payload
        assert_valid(payload, "BifrostError", INFERENCE_COMMON)
        assert "OIDC issuer could not be reached" in payload["error"]["message"]
        # the admin key does not depend on the issuer
        status, payload = api.call("GET", "/api/providers", token=ADMIN_KEY)
        assert status == 200, payload
