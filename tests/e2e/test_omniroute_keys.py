"""OmniRoute's `/api/keys` (C8) on a real gateway process, once per config-store backend: the
keys are the gateway's client keys (Bifrost's virtual keys), in OmniRoute's shape, with the full
value only in the create answer; the admin key is required; bad input is a 400."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.management.backends import BACKENDS
from tests.management.client import ManagementClient
from tests.management.governance import (
    ADMIN_KEY,
    G,
    Gateway,
    error,
    governance_gateway,
    quota,
)
from tests.mocks.openai_upstream import MockOpenAI

K = "/api/keys"


@cache
def _seed() -> dict[str, Any]:
    text = (files("cloverleaf.openapi") / "schemas" / "omniroute" / "openapi.yaml").read_text()
    seed: dict[str, Any] = yaml.safe_load(text)
    return seed


def _check(instance: Any, schema: dict[str, Any]) -> Any:
    full = {**schema, "components": _seed()["components"]}
    errors = list(Draft202012Validator(full).iter_errors(instance))
    assert not errors, "; ".join(e.message for e in errors)
    return instance


def valid_list(payload: Any) -> list[dict[str, Any]]:
    """Seed 004's `GET /api/keys` 200 body."""
    operation = _seed()["paths"]["/api/keys"]["get"]
    _check(payload, operation["responses"]["200"]["content"]["application/json"]["schema"])
    keys: list[dict[str, Any]] = payload["keys"]
    return keys


def valid_key(payload: Any) -> dict[str, Any]:
    key: dict[str, Any] = _check(payload, {"$ref": "#/components/schemas/ApiKey"})
    assert set(key) >= {"id", "label", "keyPreview", "isActive", "createdAt"}
    return key


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest,
    mock_upstream: MockOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp(f"omni-{request.param}")
    with governance_gateway(request.param, workdir, mock_upstream.base_url) as gateway:
        yield gateway


@pytest.fixture
def api(gateway: Gateway) -> ManagementClient:
    return ManagementClient(gateway.process.base_url, ADMIN_KEY)


def test_key_round_trip(api: ManagementClient, gateway: Gateway) -> None:
    created = valid_key(api.ok("POST", K, {"label": "my laptop"}, 201))
    value = created["key"]
    assert value.startswith("sk-bf-") and len(value) > 40
    assert created["label"] == "my laptop" and created["isActive"] is True
    assert created["keyPreview"] == value[-4:]
    shown = len(api.seen)

    listed = {key["id"]: key for key in valid_list(api.ok("GET", K))}
    assert listed[created["id"]] == {k: v for k, v in created.items() if k != "key"}

    # the same client key, seen through Bifrost's API, usable by any routed provider
    bifrost = api.ok("GET", f"{G}/virtual-keys/{created['id']}")["virtual_key"]
    assert bifrost["name"] == "my laptop"
    assert [c["provider"] for c in bifrost["provider_configs"]] == ["openai"]
    assert quota(gateway, {"x-bf-vk": value})[0] == 200

    made_by_bifrost = api.ok("POST", f"{G}/virtual-keys", {"name": "from-bifrost"})
    bifrost_id = made_by_bifrost["virtual_key"]["id"]
    listed = {key["id"]: key for key in valid_list(api.ok("GET", K))}
    assert listed[bifrost_id]["label"] == "from-bifrost"
    assert listed[bifrost_id]["keyPreview"] == made_by_bifrost["virtual_key"]["value"][-4:]

    assert api.ok("DELETE", f"{K}/{created['id']}")["success"] is True
    assert created["id"] not in {key["id"] for key in valid_list(api.ok("GET", K))}
    assert quota(gateway, {"x-bf-vk": value})[0] == 401
    assert "not found" in error(api, "DELETE", f"{K}/{created['id']}", None, 404)
    assert not any(value.encode() in raw for raw in api.seen[shown:])


@pytest.mark.parametrize(
    ("body", "names"),
    [({}, "label"), ({"label": ""}, "label"), ({"label": 3}, "label"), ([1], "JSON object")],
)
def test_bad_input_is_a_400_that_says_why(api: ManagementClient, body: Any, names: str) -> None:
    assert names in error(api, "POST", K, body, 400)


def test_admin_key_is_required(gateway: Gateway) -> None:
    for token in (None, "wrong-admin-key"):
        anonymous = ManagementClient(gateway.process.base_url, token)
        for method, path, body in [("GET", K, None), ("POST", K, {"label": "x"})]:
            assert anonymous.call(method, path, body)[0] == 401
        assert anonymous.call("DELETE", f"{K}/some-id")[0] == 401
