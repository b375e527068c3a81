"""Governance input checks, budget arithmetic and the snapshot's lookups, without a server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.limits import period_start, save_budget, save_rate_limit
from cloverleaf.governance.models import GovernanceSnapshot, PricingOverride, VirtualKey
from cloverleaf.governance.models import hash_key_value as digest
from cloverleaf.governance.validate import (
    BudgetFields,
    RateLimitFields,
    budget_fields,
    duration_seconds,
    provider_configs,
)
from cloverleaf.governance.validate_rules import pricing_fields, routing_targets, rule_fields

T0 = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # a Friday


def _error(call: Any, *args: Any) -> str:
    with pytest.raises(GatewayError) as raised:
        call(*args)
    assert raised.value.status == 400
    return raised.value.message


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("1w", 604800), ("1Y", 31536000)]
)
def test_durations_in_range(text: str, seconds: int) -> None:
    assert duration_seconds(text, "d") == seconds


@pytest.mark.parametrize("text", ["29s", "0s", "2Y", "13M", "53w", "1x", "", "1.5h", "-1d", 30])
def test_durations_out_of_range_or_malformed(text: Any) -> None:
    assert "d must be" in _error(duration_seconds, text, "d")


def test_budget_needs_limit_and_duration_and_calendar_needs_whole_days() -> None:
    assert "max_limit is required" in _error(save_budget, BudgetFields(), None, "budget", T0)
    hourly = BudgetFields(Decimal(1), "1h", True)
    assert "calendar_aligned" in _error(save_budget, hourly, None, "budget", T0)
    assert "must be a number" in _error(budget_fields, {"max_limit": "10"}, "budget")
    assert "must be a number" in _error(budget_fields, {"max_limit": True}, "budget")


def test_budget_amounts_stay_exact() -> None:
    fields = budget_fields({"max_limit": Decimal("0.1"), "reset_duration": "1d"}, "b")
    assert fields is not None
    budget = save_budget(fields, None, "b", T0)
    assert budget.max_limit + Decimal("0.2") == Decimal("0.3")
    assert (budget.current_usage, budget.last_reset) == (Decimal(0), T0)


@pytest.mark.parametrize(
    ("duration", "start"),
    [
        ("1d", datetime(2026, 12, 4, tzinfo=UTC)),
        ("1w", datetime(2026, 11, 30, tzinfo=UTC)),  # Monday
        ("1M", datetime(2026, 12, 1, tzinfo=UTC)),
        ("1Y", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_calendar_periods_start_in_utc(duration: str, start: datetime) -> None:
    assert period_start(T0, duration) == start


def test_turning_calendar_alignment_on_starts_a_fresh_period() -> None:
    rolling = save_budget(BudgetFields(Decimal(10), "1M"), None, "b", T0)
    spent = replace(rolling, current_usage=Decimal("4.2"))
    merged = save_budget(BudgetFields(calendar_aligned=True), spent, "b", T0)
    assert merged.id == rolling.id
    assert merged.current_usage == 0
    assert merged.last_reset == datetime(2026, 12, 1, tzinfo=UTC)
    raised = save_budget(BudgetFields(max_limit=Decimal(20)), spent, "b", T0)
    assert (raised.current_usage, raised.reset_duration) == (Decimal("4.2"), "1M")


def test_rate_limit_pairs_and_merge() -> None:
    only_limit = RateLimitFields(request_max_limit=5)
    assert "go together" in _error(save_rate_limit, only_limit, None, "rl", T0)
    assert "needs token_max_limit" in _error(save_rate_limit, RateLimitFields(), None, "rl", T0)
    limit = save_rate_limit(RateLimitFields(None, None, 5, "1m"), None, "rl", T0)
    tokens = save_rate_limit(RateLimitFields(100, "1h"), limit, "rl", T0)
    assert (tokens.request_max_limit, tokens.token_max_limit, tokens.id) == (5, 100, limit.id)


def test_provider_configs() -> None:
    configs = provider_configs({"provider_configs": [{"provider": "openai", "weight": 2}]})
    assert configs is not None and configs[0].weight == 2.0 and configs[0].allowed_models == ()
    twice = {"provider_configs": [{"provider": "a"}, {"provider": "a"}]}
    assert "more than once" in _error(provider_configs, twice)
    assert "list of strings" in _error(
        provider_configs, {"provider_configs": [{"provider": "a", "allowed_models": "gpt"}]}
    )


def test_target_weights_sum_to_one_exactly() -> None:
    parts = [{"weight": Decimal("0.1")}, {"weight": Decimal("0.2")}, {"weight": Decimal("0.7")}]
    assert sum(t.weight for t in routing_targets(parts)) == 1
    assert "sum to 1" in _error(routing_targets, [{"weight": Decimal("0.9")}])
    assert "greater than 0" in _error(routing_targets, [{"weight": 0}, {"weight": 1}])
    assert "needs" in _error(routing_targets, [{"key_id": "k", "weight": 1}])


def _rule(**changes: Any) -> dict[str, Any]:
    body = {"name": "r", "cel_expression": "true", "scope": "global", "priority": 0}
    return body | {"targets": [{"weight": 1}]} | changes


def test_rule_scope_and_cel() -> None:
    assert rule_fields(_rule()).scope_id is None
    assert "scope_id is required" in _error(rule_fields, _rule(scope="virtual_key"))
    assert "does not apply" in _error(rule_fields, _rule(scope_id="x"))
    assert "does not compile" in _error(rule_fields, _rule(cel_expression="a &&"))
    assert "cel_expression is required" in _error(rule_fields, _rule(cel_expression=""))
    assert rule_fields(_rule(cel_expression='size(messages) > 3 && model in ["a"]')).enabled


def _override(scope: str, pattern: str, **ids: str) -> PricingOverride:
    fields = pricing_fields(
        {
            "name": scope,
            "scope_kind": scope,
            "match_type": "wildcard" if pattern.endswith("*") else "exact",
            "pattern": pattern,
            "request_types": ["chat_completion"],
            "patch": {"input_cost_per_token": Decimal("0.000001")},
            **ids,
        }
    )
    values = {name: getattr(fields, name) for name in fields.__slots__}
    return PricingOverride(
        id=scope + pattern, config_hash=None, created_at=T0, updated_at=T0, **values
    )


def test_most_specific_pricing_override_wins() -> None:
    overrides = [
        _override("global", "gpt-*"),
        _override("provider", "gpt-*", provider_id="openai"),
        _override("virtual_key", "gpt-4o", virtual_key_id="vk1"),
        _override("virtual_key_provider_key", "gpt-*", virtual_key_id="vk1", provider_key_id="k"),
    ]
    snapshot = GovernanceSnapshot(pricing_overrides={o.id: o for o in overrides})

    def winner(**given: str) -> str | None:
        found = snapshot.pricing_for("gpt-4o", "chat_completion", **given)
        return found.scope_kind if found is not None else None

    assert winner() == "global"
    assert winner(provider="openai") == "provider"
    assert winner(provider="openai", virtual_key_id="vk1") == "virtual_key"
    assert winner(provider="openai", virtual_key_id="vk1", provider_key_id="k") == (
        "virtual_key_provider_key"
    )
    assert snapshot.pricing_for("claude-3", "chat_completion") is None
    assert snapshot.pricing_for("gpt-4o", "embedding") is None


def test_pricing_scope_ids() -> None:
    base = {"name": "n", "match_type": "exact", "pattern": "m", "request_types": ["rerank"]}
    assert "provider_key_id is required" in _error(
        pricing_fields, base | {"scope_kind": "provider_key"}
    )
    assert "does not apply" in _error(
        pricing_fields, base | {"scope_kind": "global", "virtual_key_id": "v"}
    )
    assert "exact pattern" in _error(
        pricing_fields, base | {"scope_kind": "global", "pattern": "gpt*"}
    )


def test_keys_are_found_by_hash_only() -> None:
    key = VirtualKey(
        "id", "n", "", digest("sk-bf-secret"), "cret", True, None, None, None, None, (), (), T0, T0
    )
    snapshot = GovernanceSnapshot(virtual_keys={"id": key}, keys_by_hash={key.value_hash: key})
    assert snapshot.find_key("sk-bf-secret") is key
    assert snapshot.find_key("sk-bf-secreT") is None
    assert "sk-bf-secret" not in repr(key)
