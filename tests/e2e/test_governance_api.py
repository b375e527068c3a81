"""Seed 002's governance API on a real gateway process, once per config-store backend: every
operation round-trips and validates against the seed's schemas; bad input is a 400 that says
why; a virtual key's value is shown once and only its hash is stored."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from cloverleaf.storage.engine import create_engine, database_url
from cloverleaf.storage.governance_tables import gov_virtual_keys
from tests.management.backends import BACKENDS
from tests.management.client import ManagementClient
from tests.management.governance import (
    ADMIN_KEY,
    GOVERNANCE,
    G,
    Gateway,
    deleted,
    error,
    governance_gateway,
    quota,
    valid,
)
from tests.management.seed_schema import assert_valid
from tests.mocks.openai_upstream import MockOpenAI


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest,
    mock_upstream: MockOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp(f"gov-{request.param}")
    with governance_gateway(request.param, workdir, mock_upstream.base_url) as gateway:
        yield gateway


@pytest.fixture
def api(gateway: Gateway) -> ManagementClient:
    return ManagementClient(gateway.process.base_url, ADMIN_KEY)


BUDGET = {"max_limit": 12.34, "reset_duration": "1M", "calendar_aligned": True}
LIMIT = {"request_max_limit": 5, "request_reset_duration": "1m"}


def test_virtual_key_round_trip(api: ManagementClient, gateway: Gateway) -> None:
    customer = valid(api.ok("POST", f"{G}/customers", {"name": "acme"}), "CustomerResponse")
    team_body = {"name": "search", "customer_id": customer["customer"]["id"], "budget": BUDGET}
    team = valid(api.ok("POST", f"{G}/teams", team_body), "TeamResponse")["team"]
    body = {
        "name": "ci-key",
        "description": "for CI",
        "team_id": team["id"],
        "provider_configs": [
            {
                "provider": "openai",
                "weight": 1,
                "allowed_models": ["gpt-4o-mini"],
                "key_ids": ["file-key"],
                "budget": {"max_limit": 5, "reset_duration": "1d"},
            }
        ],
        "budget": {"max_limit": 100.5, "reset_duration": "1w"},
        "rate_limit": LIMIT,
    }
    created = valid(api.ok("POST", f"{G}/virtual-keys", body), "VirtualKeyResponse")
    key = created["virtual_key"]
    value = key["value"]
    shown = len(api.seen)
    assert value.startswith("sk-bf-") and len(value) > 40
    assert key["is_active"] is True
    assert key["budget"]["max_limit"] == 100.5
    assert key["rate_limit"]["request_max_limit"] == 5
    config = key["provider_configs"][0]
    assert config["allowed_models"] == ["gpt-4o-mini"]
    assert config["keys"] == [{"key_id": "file-key", "provider": "openai"}]

    got = api.ok("GET", f"{G}/virtual-keys/{key['id']}")
    assert_valid(got["virtual_key"], "VirtualKey", GOVERNANCE)
    assert got["virtual_key"]["value"] != value
    assert got["virtual_key"]["value"].endswith(value[-4:])
    for memory in ("false", "true"):
        listed = valid(
            api.ok("GET", f"{G}/virtual-keys?from_memory={memory}"), "ListVirtualKeysResponse"
        )
        assert key["id"] in [k["id"] for k in listed["virtual_keys"]]
    assert all(value.encode() not in seen for seen in api.seen[shown:])  # shown once

    status, own = quota(gateway, {"x-bf-vk": value})
    assert status == 200
    assert_valid(own, "VirtualKeyQuotaResponse", GOVERNANCE)
    assert own["virtual_key_name"] == "ci-key"
    # own budget, the provider config's, the team's
    assert sorted(b["max_limit"] for b in own["budgets"]) == [5, 12.34, 100.5]
    assert quota(gateway, {"authorization": f"Bearer {value}"})[0] == 200
    assert quota(gateway, {"x-bf-vk": value + "x"}) == (401, {"error": "invalid virtual key"})
    assert quota(gateway, {})[0] == 401

    update = {
        "name": "ci-key-2",
        "is_active": False,
        "provider_configs": [{"id": config["id"], "provider": "openai", "weight": 0.5}],
        "rate_limit": {"request_max_limit": 9},
    }
    updated = valid(api.ok("PUT", f"{G}/virtual-keys/{key['id']}", update), "VirtualKeyResponse")
    after = updated["virtual_key"]
    assert (after["name"], after["is_active"]) == ("ci-key-2", False)
    assert after["rate_limit"]["request_max_limit"] == 9
    assert after["rate_limit"]["request_reset_duration"] == "1m"  # merged
    assert after["provider_configs"][0]["budget_id"] == config["budget_id"]  # kept
    assert after["provider_configs"][0]["weight"] == 0.5
    assert quota(gateway, {"x-api-key": value})[1]["is_active"] is False

    deleted(api, f"{G}/virtual-keys/{key['id']}")
    assert quota(gateway, {"x-bf-vk": value})[0] == 401
    budgets = api.ok("GET", f"{G}/budgets")["budgets"]
    assert config["budget_id"] not in [b["id"] for b in budgets]  # went with its key


def test_key_value_is_stored_only_as_its_hash(api: ManagementClient, gateway: Gateway) -> None:
    value = api.ok("POST", f"{G}/virtual-keys", {"name": "hashed"})["virtual_key"]["value"]
    digest = hashlib.sha256(value.encode()).hexdigest()

    async def stored() -> list[str]:
        url = database_url(
            gateway.env.get("CLOVERLEAF_DATABASE_URL"), gateway.process.workdir / "data"
        )
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(select(gov_virtual_keys))
                return [repr(tuple(row)) for row in rows]
        finally:
            await engine.dispose()

    rows = asyncio.run(stored())
    assert any(digest in row for row in rows)
    assert not any(value in row for row in rows)
    for path in (gateway.process.workdir / "data").glob("cloverleaf.db*"):
        assert value.encode() not in path.read_bytes()
    # a key without provider configs is allowed nothing: stored with none
    keys = api.ok("GET", f"{G}/virtual-keys")["virtual_keys"]
    assert [k["provider_configs"] for k in keys if k["name"] == "hashed"] == [[]]


def test_teams_and_customers(api: ManagementClient) -> None:
    customer = api.ok("POST", f"{G}/customers", {"name": "globex", "budget": BUDGET})["customer"]
    cid = customer["id"]
    assert customer["budget"]["calendar_aligned"] is True
    assert customer["budget"]["last_reset"].endswith("01T00:00:00.000Z")  # month start, UTC
    team = api.ok("POST", f"{G}/teams", {"name": "t1", "customer_id": cid})["team"]
    api.ok("POST", f"{G}/teams", {"name": "unowned"})
    listed = valid(api.ok("GET", f"{G}/teams?customer_id={cid}"), "ListTeamsResponse")
    assert [t["name"] for t in listed["teams"]] == ["t1"]
    assert listed["teams"][0]["customer"]["id"] == cid
    got = api.ok("GET", f"{G}/customers/{cid}?from_memory=true")["customer"]
    assert_valid(got, "Customer", GOVERNANCE)
    assert [t["id"] for t in got["teams"]] == [team["id"]]
    valid(api.ok("GET", f"{G}/customers"), "ListCustomersResponse")

    renamed = api.ok("PUT", f"{G}/teams/{team['id']}", {"name": "t2", "budget": BUDGET})
    assert valid(renamed, "TeamResponse")["team"]["budget"]["max_limit"] == 12.34
    moved = {"name": "globex-2", "budget": {"max_limit": 20}}
    customer_after = valid(api.ok("PUT", f"{G}/customers/{cid}", moved), "CustomerResponse")
    assert customer_after["customer"]["budget"]["max_limit"] == 20
    assert customer_after["customer"]["budget"]["reset_duration"] == "1M"
    assert_valid(api.ok("GET", f"{G}/teams/{team['id']}")["team"], "Team", GOVERNANCE)

    deleted(api, f"{G}/customers/{cid}")
    assert "customer_id" not in api.ok("GET", f"{G}/teams/{team['id']}")["team"]
    deleted(api, f"{G}/teams/{team['id']}")
    error(api, "PUT", f"{G}/teams/{team['id']}", {"name": "x"}, 404)
    error(api, "DELETE", f"{G}/customers/{cid}", None, 404)


def test_budgets_and_rate_limits_are_listed_exactly(api: ManagementClient) -> None:
    body = {
        "name": "money",
        "budget": {"max_limit": 0.1, "reset_duration": "30s"},
        "rate_limit": LIMIT,
    }
    key = api.ok("POST", f"{G}/virtual-keys", body)["virtual_key"]
    budgets = valid(api.ok("GET", f"{G}/budgets"), "ListBudgetsResponse")
    budget = next(b for b in budgets["budgets"] if b["id"] == key["budget_id"])
    assert (budget["max_limit"], budget["current_usage"]) == (0.1, 0)
    assert budgets["count"] == len(budgets["budgets"])
    limits = valid(api.ok("GET", f"{G}/rate-limits?from_memory=true"), "ListRateLimitsResponse")
    limit = next(r for r in limits["rate_limits"] if r["id"] == key["rate_limit_id"])
    assert (limit["request_max_limit"], limit["request_current_usage"]) == (5, 0)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "name is required"),
        ({"name": "k", "budget": {"max_limit": 1, "reset_duration": "10s"}}, "between 30s and 1Y"),
        ({"name": "k", "budget": {"max_limit": 1, "reset_duration": "2Y"}}, "between 30s and 1Y"),
        ({"name": "k", "budget": {"max_limit": 1, "reset_duration": "fortnight"}}, "duration"),
        ({"name": "k", "budget": {"max_limit": -1, "reset_duration": "1d"}}, "max_limit"),
        ({"name": "k", "budget": {"reset_duration": "1d"}}, "max_limit is required"),
        (
            {
                "name": "k",
                "budget": {"max_limit": 1, "reset_duration": "1h", "calendar_aligned": True},
            },
            "calendar_aligned",
        ),
        ({"name": "k", "rate_limit": {"request_max_limit": 5}}, "go together"),
        ({"name": "k", "team_id": "nope"}, "does not exist"),
        (
            {"name": "k", "provider_configs": [{"provider": "openai", "key_ids": ["nope"]}]},
            "not a key",
        ),
        ({"name": "k", "provider_configs": [{"weight": 1}]}, "provider is required"),
    ],
)
def test_bad_virtual_key_input_is_a_400(api: ManagementClient, body: Any, fragment: str) -> None:
    assert fragment in error(api, "POST", f"{G}/virtual-keys", body)


def test_bad_json_and_missing_credentials(api: ManagementClient) -> None:
    assert "JSON" in error(api, "POST", f"{G}/teams", b"{not json")
    status, _ = api.call("GET", f"{G}/teams", token="wrong")
    assert status == 401
