"""Seed 003's project tokens on the data plane, on a real gateway process per config-store
backend: a token calls OpenAI with its project's own upstream key (never the gateway's, never
echoed), and is refused as the issue says — unknown, revoked or expired 401, inactive project
403 `project_inactive`, `max_requests` used up 429 — in the client's own dialect. Virtual keys
keep working beside them, and `/manage/*` admin failures answer in seed 003's error shape."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.llm_proxy_tables import llmp_tokens
from tests.e2e.enforcement import eventually
from tests.management.backends import BACKENDS
from tests.management.client import ManagementClient
from tests.management.governance import ADMIN_KEY, G, Gateway, governance_gateway
from tests.mocks.openai_upstream import MockOpenAI

PROJECT_KEY = "sk-proj-upstream-secret-for-data-plane-0123456789"
GATEWAY_KEY = "sk-file-key-000000000"  # the provider key in governance_gateway's config
P, T = "/manage/projects", "/manage/tokens"


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Gateway, MockOpenAI]]:
    with MockOpenAI() as mock:
        workdir = tmp_path_factory.mktemp(f"llmp-data-{request.param}")
        with governance_gateway(request.param, workdir, mock.base_url) as running:
            yield running, mock


@pytest.fixture
def api(gateway: tuple[Gateway, MockOpenAI]) -> ManagementClient:
    return ManagementClient(gateway[0].process.base_url, ADMIN_KEY)


def _project(api: ManagementClient, key: str = PROJECT_KEY) -> str:
    body = {"name": f"p-{uuid.uuid4().hex[:8]}", "api_key": key}
    project_id: str = api.ok("POST", P, body, 201)["id"]
    return project_id


def _token(api: ManagementClient, project_id: str, **extra: Any) -> tuple[str, str]:
    """(id, value) of a new token of the project."""
    created = api.ok("POST", T, {"project_id": project_id, **extra}, 201)
    return created["id"], created["token"]


def _chat(gateway: Gateway, key: str | None, path: str = "/v1/chat/completions") -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key is not None else {}
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    url = gateway.process.base_url + path
    return httpx.post(url, json=body, headers=headers, timeout=20)


def _error(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_a_token_calls_openai_with_its_projects_key(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, mock = gateway
    _, token = _token(api, _project(api))
    mock.reset()
    answer = _chat(running, token)
    assert answer.status_code == 200, answer.text
    seen = mock.last_request.headers["authorization"]
    assert seen == f"Bearer {PROJECT_KEY}"
    assert token not in seen
    assert PROJECT_KEY not in answer.text and PROJECT_KEY not in str(answer.headers)


def test_unknown_and_missing_tokens_are_401(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, mock = gateway
    _token(api, _project(api))  # tokens exist: a client key is now required
    mock.reset()
    assert _error(_chat(running, str(uuid.uuid4())), 401)["type"] == "authentication_error"
    _error(_chat(running, None), 401)
    # in the client's dialect: Anthropic's envelope on /v1/messages
    body = {"model": "openai/gpt-4o-mini", "max_tokens": 5, "messages": []}
    answer = httpx.post(
        running.process.base_url + "/v1/messages",
        json=body,
        headers={"x-api-key": str(uuid.uuid4())},
        timeout=20,
    )
    assert answer.status_code == 401
    assert answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == "authentication_error"
    assert not mock.requests


def test_revoked_and_expired_tokens_are_401(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, mock = gateway
    project = _project(api)
    revoked_id, revoked = _token(api, project)
    assert _chat(running, revoked).status_code == 200
    api.ok("DELETE", f"{T}/{revoked_id}", None, 204)
    assert _error(_chat(running, revoked), 401)["code"] == "token_inactive"
    expired_id, expired = _token(api, project, expires_in_days=1)
    assert _chat(running, expired).status_code == 200
    _expire(running, expired_id)
    _project(api)  # a management write: the gateway reloads what is stored
    mock.reset()
    assert _error(_chat(running, expired), 401)["code"] == "token_expired"
    assert not mock.requests


def test_an_inactive_project_is_403(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, _ = gateway
    project = _project(api)
    _, token = _token(api, project)
    api.ok("PATCH", f"{P}/{project}", {"is_active": False})
    assert _error(_chat(running, token), 403)["code"] == "project_inactive"
    api.ok("PATCH", f"{P}/{project}", {"is_active": True})
    assert _chat(running, token).status_code == 200


def test_max_requests_then_429_and_the_count_is_stored(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, _ = gateway
    token_id, token = _token(api, _project(api), max_requests=2)
    assert _chat(running, token).status_code == 200
    assert _chat(running, token).status_code == 200
    assert _error(_chat(running, token), 429)["code"] == "max_requests_exceeded"
    listed = {t["id"]: t for t in api.ok("GET", T)}
    assert listed[token_id]["request_count"] == 2
    assert listed[token_id]["last_used_at"] is not None


def test_virtual_keys_work_beside_project_tokens(
    gateway: tuple[Gateway, MockOpenAI], api: ManagementClient
) -> None:
    running, mock = gateway
    _, token = _token(api, _project(api))
    body = {
        "name": f"vk-{uuid.uuid4().hex[:8]}",
        "provider_configs": [{"provider": "openai", "weight": 1}],
    }
    key = api.ok("POST", f"{G}/virtual-keys", body)["virtual_key"]["value"]
    mock.reset()
    assert _chat(running, key).status_code == 200
    assert mock.last_request.headers["authorization"] == f"Bearer {GATEWAY_KEY}"
    assert _chat(running, token).status_code == 200
    assert mock.last_request.headers["authorization"] == f"Bearer {PROJECT_KEY}"
    # each counted as its own: the token's use shows on the token
    assert eventually(lambda: _count_of(api, token) or None) >= 1


def test_manage_auth_failures_use_seed_003s_error_shape(
    gateway: tuple[Gateway, MockOpenAI],
) -> None:
    running, _ = gateway
    for credential in (None, "not-the-admin-key"):
        status, payload = ManagementClient(running.process.base_url, credential).call("GET", P)
        assert status == 401
        assert set(payload) == {"error", "code", "message"}, payload
        assert payload["message"] and payload["error"] == payload["message"]


def _count_of(api: ManagementClient, value: str) -> int:
    found: int = next(t["request_count"] for t in api.ok("GET", T) if t["token"] == value)
    return found


def _expire(running: Gateway, token_id: str) -> None:
    """Move a stored token's expiry into the past (the API only sets it in days from now)."""

    async def write() -> None:
        data = running.process.workdir / "data"
        engine = create_engine(database_url(running.env.get("CLOVERLEAF_DATABASE_URL"), data))
        past_ms = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp() * 1000)
        try:
            async with engine.begin() as connection:
                where = llmp_tokens.c.id == token_id
                await connection.execute(
                    update(llmp_tokens).where(where).values(expires_at_ms=past_ms)
                )
        finally:
            await engine.dispose()

    asyncio.run(write())
