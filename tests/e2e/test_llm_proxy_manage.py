"""Seed 003's management API (`/manage/projects`, `/manage/tokens`) on a real gateway process,
once per config-store backend: every operation round-trips and validates against the seed's
schemas, bad input is a 400 that says why, the admin key is required, and a project's upstream
key never appears in any answer (nor in clear in the database)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from sqlalchemy import select

from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.llm_proxy_tables import llmp_projects, llmp_tokens
from tests.management.backends import BACKENDS
from tests.management.client import ManagementClient
from tests.management.governance import ADMIN_KEY, Gateway, governance_gateway
from tests.mocks.openai_upstream import MockOpenAI

UPSTREAM_KEY = "sk-proj-upstream-secret-0123456789abcdefXYZ"
OTHER_KEY = "sk-proj-rotated-secret-9876543210fedcbaQRS"
P, T = "/manage/projects", "/manage/tokens"


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema (`type: [t, "null"]`)."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        out["type"] = [node["type"], "null"]
    return out


@cache
def _seed() -> dict[str, Any]:
    text = (files("cloverleaf.openapi") / "schemas" / "llm-proxy" / "openapi.yaml").read_text()
    seed: dict[str, Any] = _nullable(yaml.safe_load(text))
    return seed


def valid(instance: Any, name: str) -> Any:
    """Checked against seed 003's `components/schemas/<name>` (refs resolved in the seed)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": _seed()["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(instance))
    assert not errors, f"not a valid {name}: " + "; ".join(e.message for e in errors)
    return instance


def valid_list(instance: Any, name: str) -> Any:
    assert isinstance(instance, list)
    for item in instance:
        valid(item, name)
    return instance


def failed(api: ManagementClient, method: str, path: str, body: Any, status: int) -> str:
    """The error's message, after checking its status and both of seed 003's error shapes."""
    got, payload = api.call(method, path, body)
    assert got == status, f"{method} {path} -> {got}: {payload}"
    valid(payload, "Error")
    valid(payload, "ErrorResponse")
    message: str = payload["message"]
    assert message
    return message


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest,
    mock_upstream: MockOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp(f"llmp-{request.param}")
    with governance_gateway(request.param, workdir, mock_upstream.base_url) as gateway:
        yield gateway


@pytest.fixture
def api(gateway: Gateway) -> ManagementClient:
    return ManagementClient(gateway.process.base_url, ADMIN_KEY)


def _project(api: ManagementClient, name: str = "tutor") -> dict[str, Any]:
    created: dict[str, Any] = api.ok("POST", P, {"name": name, "api_key": UPSTREAM_KEY}, 201)
    valid(created, "Project")
    return created


def _stored(gateway: Gateway) -> list[tuple[Any, ...]]:
    async def rows() -> list[tuple[Any, ...]]:
        data = gateway.process.workdir / "data"
        engine = create_engine(database_url(gateway.env.get("CLOVERLEAF_DATABASE_URL"), data))
        try:
            async with engine.connect() as connection:
                found = list(await connection.execute(select(llmp_projects)))
                found += list(await connection.execute(select(llmp_tokens)))
                return [tuple(row) for row in found]
        finally:
            await engine.dispose()

    return asyncio.run(rows())


def test_project_round_trip(api: ManagementClient, gateway: Gateway) -> None:
    project = _project(api)
    uuid.UUID(project["id"])
    assert project["name"] == "tutor" and project["is_active"] is True
    assert project["api_key"] == "sk-p...fXYZ"  # redacted, enough to tell keys apart
    assert project in valid_list(api.ok("GET", P), "Project")
    path = f"{P}/{project['id']}"
    assert valid(api.ok("GET", path), "Project") == project

    renamed = valid(api.ok("PATCH", path, {"name": "tutor-2"}), "Project")
    assert renamed["name"] == "tutor-2" and renamed["api_key"] == project["api_key"]
    rotated = valid(api.ok("PATCH", path, {"api_key": OTHER_KEY, "is_active": False}), "Project")
    assert rotated["api_key"] == "sk-p...aQRS" and rotated["is_active"] is False
    assert rotated["name"] == "tutor-2"
    assert _time(rotated["updated_at"]) >= _time(project["updated_at"])
    assert valid(api.ok("GET", path), "Project") == rotated

    rows = _stored(gateway)
    assert any(project["id"] in row for row in rows)
    assert not any(OTHER_KEY in str(cell) for row in rows for cell in row)

    token = api.ok("POST", T, {"project_id": project["id"]}, 201)
    assert api.call("DELETE", path) == (204, None)
    failed(api, "GET", path, None, 404)
    failed(api, "DELETE", path, None, 404)
    failed(api, "GET", f"{T}/{token['id']}", None, 404)  # its tokens went with it


def test_token_round_trip(api: ManagementClient, gateway: Gateway) -> None:
    project = _project(api, "tokens")
    before = datetime.now(UTC) - timedelta(seconds=1)
    token = valid(api.ok("POST", T, {"project_id": project["id"], "max_requests": 5}, 201), "Token")
    uuid.UUID(token["token"])
    assert token["project_id"] == project["id"]
    assert token["is_active"] is True and token["request_count"] == 0
    assert token["max_requests"] == 5 and token["last_used_at"] is None
    expires = _time(token["expires_at"]) - _time(token["created_at"])
    assert expires == timedelta(days=30) and _time(token["created_at"]) >= before

    by_id, by_value = f"{T}/{token['id']}", f"{T}/{token['token']}"
    assert valid(api.ok("GET", by_id), "Token") == token
    assert valid(api.ok("GET", by_value), "Token") == token
    forever = api.ok("POST", T, {"project_id": project["id"], "expires_in_days": 0}, 201)
    assert valid(forever, "Token")["expires_at"] == "9999-12-31T23:59:59.000Z"
    listed = valid_list(api.ok("GET", f"{T}?projectId={project['id']}"), "Token")
    assert [t["id"] for t in listed] == [token["id"], forever["id"]]
    assert token["id"] in {t["id"] for t in valid_list(api.ok("GET", T), "Token")}

    patched = valid(api.ok("PATCH", by_id, {"max_requests": 0, "is_active": False}), "Token")
    assert patched["max_requests"] == 0 and patched["is_active"] is False
    assert patched["token"] == token["token"]
    active = api.ok("GET", f"{T}?projectId={project['id']}&activeOnly=true")
    assert [t["id"] for t in active] == [forever["id"]]
    api.ok("PATCH", by_value, {"is_active": True})

    assert api.call("DELETE", by_id) == (204, None)
    assert valid(api.ok("GET", by_id), "Token")["is_active"] is False
    failed(api, "DELETE", f"{T}/{uuid.uuid4()}", None, 404)
    failed(api, "PATCH", f"{T}/{uuid.uuid4()}", {"is_active": True}, 404)

    # the value is stored sealed and hashed, never in clear
    rows = _stored(gateway)
    assert not any(token["token"] in str(cell) for row in rows for cell in row)


def test_bulk_revoke(api: ManagementClient) -> None:
    project = _project(api, "bulk")
    made = [api.ok("POST", T, {"project_id": project["id"]}, 201) for _ in range(3)]
    assert api.call("DELETE", f"{T}/{made[0]['id']}")[0] == 204
    path = f"{P}/{project['id']}/tokens/revoke"
    result = api.ok("POST", path)
    assert result == {
        "revoked_count": 2,
        "already_revoked_count": 1,
        "total_tokens": 3,
        "failed_count": 0,
    }
    again = api.ok("POST", path)
    assert again["revoked_count"] == 0 and again["already_revoked_count"] == 3
    assert api.ok("GET", f"{T}?projectId={project['id']}&activeOnly=true") == []
    failed(api, "POST", f"{P}/{uuid.uuid4()}/tokens/revoke", None, 404)


@pytest.mark.parametrize(
    ("method", "path", "body", "names"),
    [
        ("POST", P, {"api_key": UPSTREAM_KEY}, "name"),
        ("POST", P, {"name": "x"}, "api_key"),
        ("POST", P, {"name": "", "api_key": UPSTREAM_KEY}, "name"),
        ("POST", P, {"name": "x", "api_key": 42}, "api_key"),
        ("POST", P, {"name": "x", "api_key": "k", "is_active": "yes"}, "is_active"),
        ("POST", P, [1, 2], "JSON object"),
        ("POST", P, b"{not json", "not valid JSON"),
        ("POST", T, {}, "project_id"),
        ("GET", f"{T}?activeOnly=maybe", None, "activeOnly"),
    ],
)
def test_bad_input_is_a_400_that_says_why(
    api: ManagementClient, method: str, path: str, body: Any, names: str
) -> None:
    assert names in failed(api, method, path, body, 400)


def test_bad_token_and_update_bodies(api: ManagementClient) -> None:
    project = _project(api, "bad-bodies")
    pid = project["id"]
    for body, names in [
        ({"project_id": pid, "expires_in_days": -1}, "expires_in_days"),
        ({"project_id": pid, "expires_in_days": "30"}, "expires_in_days"),
        ({"project_id": pid, "max_requests": 1.5}, "max_requests"),
        ({"project_id": pid, "max_requests": True}, "max_requests"),
        ({"project_id": pid, "expires_in_days": 10**9}, "expires_in_days"),
    ]:
        assert names in failed(api, "POST", T, body, 400)
    assert "not found" in failed(api, "POST", T, {"project_id": str(uuid.uuid4())}, 404)
    token = api.ok("POST", T, {"project_id": pid}, 201)
    assert "is_active" in failed(api, "PATCH", f"{T}/{token['id']}", {"is_active": 1}, 400)
    assert "max_requests" in failed(api, "PATCH", f"{T}/{token['id']}", {"max_requests": -3}, 400)
    assert "name" in failed(api, "PATCH", f"{P}/{pid}", {"name": 7}, 400)


def test_admin_key_is_required(gateway: Gateway) -> None:
    for token in (None, "not-the-admin-key"):
        anonymous = ManagementClient(gateway.process.base_url, token)
        for method, path in [("GET", P), ("POST", T), ("GET", f"{T}/{uuid.uuid4()}")]:
            status, payload = anonymous.call(method, path, {})
            assert status == 401, (method, path, payload)


def test_the_upstream_key_is_in_no_answer(api: ManagementClient) -> None:
    project = _project(api, "leak-check")
    api.ok("PATCH", f"{P}/{project['id']}", {"api_key": OTHER_KEY})
    api.ok("POST", T, {"project_id": project["id"]}, 201)
    api.ok("GET", P)
    api.ok("GET", T)
    for raw in api.seen:
        assert UPSTREAM_KEY.encode() not in raw and OTHER_KEY.encode() not in raw
