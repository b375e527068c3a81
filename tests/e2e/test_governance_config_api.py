"""Seed 002's model configs, provider governance, pricing overrides and routing rules on a real
gateway process, once per config-store backend; and a second instance on the same database
following what the first one wrote."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.gateway_process import GatewayProcess
from tests.management.backends import BACKENDS
from tests.management.client import ManagementClient
from tests.management.governance import (
    ADMIN_KEY,
    GOVERNANCE,
    G,
    Gateway,
    deleted,
    error,
    gateway_config,
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
    workdir = tmp_path_factory.mktemp(f"govcfg-{request.param}")
    with governance_gateway(request.param, workdir, mock_upstream.base_url) as gateway:
        yield gateway


@pytest.fixture
def api(gateway: Gateway) -> ManagementClient:
    return ManagementClient(gateway.process.base_url, ADMIN_KEY)


def test_model_configs(api: ManagementClient) -> None:
    body = {
        "model_name": "gpt-4o",
        "provider": "openai",
        "budget": {"max_limit": 50, "reset_duration": "1d"},
        "rate_limit": {"token_max_limit": 1000, "token_reset_duration": "1h"},
    }
    created = valid(api.ok("POST", f"{G}/model-configs", body), "ModelConfigResponse")
    config = created["model_config"]
    path = f"{G}/model-configs/{config['id']}"
    assert config["rate_limit"]["token_max_limit"] == 1000
    assert "already has a model config" in error(api, "POST", f"{G}/model-configs", body)
    assert "model_name is required" in error(api, "POST", f"{G}/model-configs", {})
    got = api.ok("GET", path)["model_config"]
    assert_valid(got, "ModelConfig", GOVERNANCE)
    assert got == config
    listed = valid(api.ok("GET", f"{G}/model-configs"), "ListModelConfigsResponse")
    assert [c["id"] for c in listed["model_configs"]] == [config["id"]]
    update: dict[str, Any] = {
        "budget": {"max_limit": 75.25},
        "rate_limit": {"request_max_limit": 3},
    }
    assert "go together" in error(api, "PUT", path, update)
    update["rate_limit"]["request_reset_duration"] = "1m"
    updated = valid(api.ok("PUT", path, update), "ModelConfigResponse")["model_config"]
    assert updated["budget"]["max_limit"] == 75.25
    assert updated["budget"]["id"] == config["budget"]["id"]
    assert updated["rate_limit"]["token_max_limit"] == 1000  # merged, not replaced
    deleted(api, path)


def test_provider_governance(api: ManagementClient) -> None:
    path = f"{G}/providers/openai"
    error(api, "PUT", f"{G}/providers/no-such-provider", {"budget": {"max_limit": 1}}, 404)
    assert "budget" in error(api, "PUT", path, {})
    body = {"budget": {"max_limit": 500, "reset_duration": "1M", "calendar_aligned": True}}
    created = valid(api.ok("PUT", path, body), "ProviderGovernanceResponse")
    assert created["provider"] == "openai"
    assert "rate_limit" not in created
    limit = {"rate_limit": {"request_max_limit": 100, "request_reset_duration": "1m"}}
    both = valid(api.ok("PUT", path, limit), "ProviderGovernanceResponse")
    assert both["budget"]["id"] == created["budget"]["id"]
    assert both["rate_limit"]["request_max_limit"] == 100
    listed = valid(api.ok("GET", f"{G}/providers"), "ListProviderGovernanceResponse")
    assert listed == {"providers": [both], "count": 1}
    deleted(api, path, gone=path)
    assert api.ok("GET", f"{G}/providers")["count"] == 0


def test_pricing_overrides(api: ManagementClient) -> None:
    base = "/api/governance/pricing-overrides"
    body: dict[str, Any] = {
        "name": "cheap claude",
        "scope_kind": "provider",
        "provider_id": "anthropic",
        "match_type": "wildcard",
        "pattern": "claude-3*",
        "request_types": ["chat_completion"],
        "patch": {"input_cost_per_token": 0.000003, "output_cost_per_token": 0.000015},
    }
    created = valid(api.ok("POST", base, body, status=201), "PricingOverrideResponse")
    override = created["pricing_override"]
    assert override["patch"] == body["patch"]
    assert '"input_cost_per_token":0.000003' in override["pricing_patch"]  # exact, as stored
    api.ok("POST", base, body | {"scope_kind": "global", "provider_id": None}, status=201)

    listed = valid(api.ok("GET", f"{base}?scope_kind=provider"), "ListPricingOverridesResponse")
    assert [o["id"] for o in listed["pricing_overrides"]] == [override["id"]]
    assert api.ok("GET", base)["count"] == 2

    path = f"{base}/{override['id']}"
    update = {"pattern": "claude-3-5*", "patch": {"output_cost_per_token": 0.00001}}
    updated = valid(api.ok("PUT", path, update), "PricingOverrideResponse")["pricing_override"]
    assert updated["patch"] == {"output_cost_per_token": 0.00001}  # replaced whole
    assert (updated["name"], updated["provider_id"]) == ("cheap claude", "anthropic")  # merged
    moved = api.ok("PUT", path, {"scope_kind": "global"})["pricing_override"]
    assert "provider_id" not in moved

    for bad, fragment in (
        ({"scope_kind": "provider", "provider_id": None}, "provider_id is required"),
        ({"scope_kind": "virtual_key", "virtual_key_id": "no", "provider_id": None}, "not exist"),
        ({"provider_key_id": "k"}, "does not apply"),
        ({"pattern": "claude*3*"}, "wildcard"),
        ({"request_types": []}, "at least one"),
        ({"request_types": ["teleport"]}, "unknown request_types"),
        ({"patch": {"input_cost_per_token": -1}}, "patch.input_cost_per_token"),
        ({"patch": {"free_lunch": 1}}, "unknown price fields"),
    ):
        assert fragment in error(api, "POST", base, body | bad)
    deleted(api, path, gone=path)


def _rule(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "long prompts to the big model",
        "cel_expression": 'model.startsWith("gpt-4") && headers["x-tier"] == "gold"',
        "scope": "global",
        "priority": 10,
        "targets": [
            {"provider": "openai", "model": "gpt-4o", "weight": 0.7},
            {"provider": "openai", "model": "gpt-4o-mini", "key_id": "file-key", "weight": 0.3},
        ],
        "fallbacks": ["openai/gpt-4o-mini"],
    }
    return body | changes


def test_routing_rules(api: ManagementClient) -> None:
    base = f"{G}/routing-rules"
    created = valid(api.ok("POST", base, _rule()), "RoutingRuleResponse")["rule"]
    assert created["enabled"] is True
    assert [t["weight"] for t in created["targets"]] == [0.7, 0.3]
    team = api.ok("POST", f"{G}/teams", {"name": "routing"})["team"]
    scoped = api.ok("POST", base, _rule(scope="team", scope_id=team["id"], priority=1))["rule"]
    assert_valid(scoped, "RoutingRule", GOVERNANCE)

    listed = valid(api.ok("GET", base), "ListRoutingRulesResponse")
    assert [r["id"] for r in listed["rules"]] == [scoped["id"], created["id"]]  # by priority
    only = api.ok("GET", f"{base}?scope=team&scope_id={team['id']}")["rules"]
    assert [r["id"] for r in only] == [scoped["id"]]

    path = f"{base}/{created['id']}"
    assert_valid(api.ok("GET", path)["rule"], "RoutingRule", GOVERNANCE)
    update = {"enabled": False, "targets": [{"provider": "openai", "weight": 1}]}
    updated = valid(api.ok("PUT", path, update), "RoutingRuleResponse")["rule"]
    assert updated["enabled"] is False
    assert updated["targets"] == [{"provider": "openai", "weight": 1.0}]
    assert updated["cel_expression"] == created["cel_expression"]  # merged
    assert "compile" in error(api, "PUT", path, {"cel_expression": "model == "})

    for bad, fragment in (
        (_rule(cel_expression="request.model ==="), "does not compile"),
        (_rule(targets=[{"provider": "openai", "weight": 0.5}]), "sum to 1"),
        (_rule(targets=[{"provider": "openai", "weight": 0}, {"weight": 1}]), "greater than 0"),
        (_rule(targets=[{"key_id": "file-key", "weight": 1}]), "needs"),
        (_rule(targets=[]), "non-empty"),
        (_rule(scope="team"), "scope_id is required"),
        (_rule(scope="customer", scope_id="nope"), "does not exist"),
        (_rule(scope="galaxy"), "scope must be one of"),
        (_rule(priority="high"), "priority"),
        (_rule(fallbacks=["gpt-4o"]), "provider/model"),
    ):
        assert fragment in error(api, "POST", base, bad)
    deleted(api, path)
    deleted(api, f"{G}/teams/{team['id']}")
    error(api, "GET", f"{base}/{scoped['id']}", None, 404)  # went with its team


def test_a_second_instance_follows_the_first(
    gateway: Gateway, api: ManagementClient, mock_upstream: MockOpenAI
) -> None:
    """Same database, two processes: B reads A's writes from the database at once and has them
    in memory after its change feed catches up (bounded wait, no timing asserted)."""
    second = GatewayProcess(
        gateway.process.workdir, gateway_config(mock_upstream.base_url), env=gateway.env
    )
    with second:
        other = ManagementClient(second.base_url, ADMIN_KEY)
        value = api.ok("POST", f"{G}/virtual-keys", {"name": "shared"})["virtual_key"]["value"]
        names = [k["name"] for k in other.ok("GET", f"{G}/virtual-keys")["virtual_keys"]]
        assert "shared" in names
        deadline = time.monotonic() + 10
        while quota(Gateway(second, gateway.env), {"x-bf-vk": value})[0] != 200:
            assert time.monotonic() < deadline, "instance B never loaded the new key"
            time.sleep(0.1)
        memory = other.ok("GET", f"{G}/virtual-keys?from_memory=true")["virtual_keys"]
        assert "shared" in [k["name"] for k in memory]
