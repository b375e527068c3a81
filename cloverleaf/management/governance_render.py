"""Governance objects in seed 002's response shapes. A field with no value is left out rather
than sent as null (the seed's `nullable` is OpenAPI 3.0's, which JSON Schema validators do not
know). A virtual key's value appears only in the response that created it; afterwards only its
last characters are shown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from cloverleaf.governance.models import (
    Budget,
    Customer,
    GovernanceSnapshot,
    ModelConfig,
    PricingOverride,
    ProviderConfig,
    RateLimit,
    RoutingRule,
    Team,
    VirtualKey,
)
from cloverleaf.governance.usage import BUDGET, RATE_LIMIT_REQUESTS, RATE_LIMIT_TOKENS, UsageView
from cloverleaf.management.governance_keys import KEY_PREFIX


def when(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(value: Decimal) -> float | int:
    """JSON has one number type; a whole amount is sent as an integer, others as the float
    whose shortest form is the decimal (exact for any amount written with ≤ 15 digits)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


class Renderer:
    """Renders against one snapshot, with live usage from `usage`."""

    def __init__(self, snapshot: GovernanceSnapshot, usage: UsageView) -> None:
        self.snapshot = snapshot
        self.usage = usage

    def budget(self, budget_id: str | None) -> dict[str, Any] | None:
        budget = self.snapshot.budgets.get(budget_id) if budget_id else None
        return self.budget_of(budget) if budget is not None else None

    def budget_of(self, budget: Budget) -> dict[str, Any]:
        usage = self.usage.current_usage(BUDGET, budget.id)
        return {
            "id": budget.id,
            "max_limit": money(budget.max_limit),
            "reset_duration": budget.reset_duration,
            "calendar_aligned": budget.calendar_aligned,
            "last_reset": when(budget.last_reset),
            "current_usage": money(Decimal(usage)),
            "created_at": when(budget.created_at),
            "updated_at": when(budget.updated_at),
        }

    def rate_limit(self, limit_id: str | None) -> dict[str, Any] | None:
        limit = self.snapshot.rate_limits.get(limit_id) if limit_id else None
        return self.rate_limit_of(limit) if limit is not None else None

    def rate_limit_of(self, limit: RateLimit) -> dict[str, Any]:
        return _compact(
            {
                "id": limit.id,
                "token_max_limit": limit.token_max_limit,
                "token_reset_duration": limit.token_reset_duration,
                "token_current_usage": int(self.usage.current_usage(RATE_LIMIT_TOKENS, limit.id)),
                "token_last_reset": when(limit.token_last_reset),
                "request_max_limit": limit.request_max_limit,
                "request_reset_duration": limit.request_reset_duration,
                "request_current_usage": int(
                    self.usage.current_usage(RATE_LIMIT_REQUESTS, limit.id)
                ),
                "request_last_reset": when(limit.request_last_reset),
                "created_at": when(limit.created_at),
                "updated_at": when(limit.updated_at),
            }
        )

    def provider_config(self, config: ProviderConfig) -> dict[str, Any]:
        rendered = _compact(
            {
                "id": config.id,
                "virtual_key_id": config.virtual_key_id,
                "provider": config.provider,
                "allowed_models": list(config.allowed_models),
                "key_ids": list(config.key_ids),
                "keys": [{"key_id": k, "provider": config.provider} for k in config.key_ids],
                "budget_id": config.budget_id,
                "rate_limit_id": config.rate_limit_id,
                "budget": self.budget(config.budget_id),
                "rate_limit": self.rate_limit(config.rate_limit_id),
            }
        )
        if config.weight is not None:
            rendered["weight"] = config.weight
        return rendered

    def virtual_key(
        self, key: VirtualKey, value: str | None = None, nested: bool = True
    ) -> dict[str, Any]:
        rendered = _compact(
            {
                "id": key.id,
                "name": key.name,
                "value": value if value is not None else f"{KEY_PREFIX}****{key.value_preview}",
                "description": key.description,
                "is_active": key.is_active,
                "team_id": key.team_id,
                "customer_id": key.customer_id,
                "budget_id": key.budget_id,
                "rate_limit_id": key.rate_limit_id,
                "provider_configs": [self.provider_config(c) for c in key.provider_configs],
                "mcp_configs": [
                    {
                        "id": c.id,
                        "mcp_client_name": c.mcp_client_name,
                        "tools_to_execute": list(c.tools_to_execute),
                    }
                    for c in key.mcp_configs
                ],
                "budget": self.budget(key.budget_id),
                "rate_limit": self.rate_limit(key.rate_limit_id),
                "created_at": when(key.created_at),
                "updated_at": when(key.updated_at),
            }
        )
        if nested:
            team = self.snapshot.teams.get(key.team_id) if key.team_id else None
            customer = self.snapshot.customers.get(key.customer_id) if key.customer_id else None
            if team is not None:
                rendered["team"] = self.team(team, nested=False)
            if customer is not None:
                rendered["customer"] = self.customer(customer, nested=False)
        return rendered

    def team(self, team: Team, nested: bool = True) -> dict[str, Any]:
        rendered = _compact(
            {
                "id": team.id,
                "name": team.name,
                "customer_id": team.customer_id,
                "budget_id": team.budget_id,
                "budget": self.budget(team.budget_id),
                "created_at": when(team.created_at),
                "updated_at": when(team.updated_at),
            }
        )
        if nested:
            customer = self.snapshot.customers.get(team.customer_id) if team.customer_id else None
            if customer is not None:
                rendered["customer"] = self.customer(customer, nested=False)
            rendered["virtual_keys"] = [
                self.virtual_key(k, nested=False)
                for k in self.sorted_keys()
                if k.team_id == team.id
            ]
        return rendered

    def customer(self, customer: Customer, nested: bool = True) -> dict[str, Any]:
        rendered = _compact(
            {
                "id": customer.id,
                "name": customer.name,
                "budget_id": customer.budget_id,
                "budget": self.budget(customer.budget_id),
                "created_at": when(customer.created_at),
                "updated_at": when(customer.updated_at),
            }
        )
        if nested:
            rendered["teams"] = [
                self.team(t, nested=False) for t in self.teams() if t.customer_id == customer.id
            ]
            rendered["virtual_keys"] = [
                self.virtual_key(k, nested=False)
                for k in self.sorted_keys()
                if k.customer_id == customer.id
            ]
        return rendered

    def model_config(self, config: ModelConfig) -> dict[str, Any]:
        return _compact(
            {
                "id": config.id,
                "model_name": config.model_name,
                "provider": config.provider,
                "budget": self.budget(config.budget_id),
                "rate_limit": self.rate_limit(config.rate_limit_id),
                "created_at": when(config.created_at),
                "updated_at": when(config.updated_at),
            }
        )

    def provider_governance(self, provider: str) -> dict[str, Any]:
        found = self.snapshot.provider_governance.get(provider)
        return _compact(
            {
                "provider": provider,
                "budget": self.budget(found.budget_id) if found else None,
                "rate_limit": self.rate_limit(found.rate_limit_id) if found else None,
            }
        )

    def teams(self) -> list[Team]:
        return sorted(self.snapshot.teams.values(), key=lambda t: (t.created_at, t.id))

    def sorted_keys(self) -> list[VirtualKey]:
        return sorted(self.snapshot.virtual_keys.values(), key=lambda k: (k.created_at, k.id))


def pricing_override(override: PricingOverride) -> dict[str, Any]:
    patch = {name: money(value) for name, value in override.patch.items()}
    return _compact(
        {
            "id": override.id,
            "name": override.name,
            "scope_kind": override.scope_kind,
            "virtual_key_id": override.virtual_key_id,
            "provider_id": override.provider_id,
            "provider_key_id": override.provider_key_id,
            "match_type": override.match_type,
            "pattern": override.pattern,
            "request_types": list(override.request_types),
            "pricing_patch": pricing_patch_text(override),
            "patch": patch,
            "config_hash": override.config_hash,
            "created_at": when(override.created_at),
            "updated_at": when(override.updated_at),
        }
    )


def pricing_patch_text(override: PricingOverride) -> str:
    """The patch as JSON text with the exact decimals as numbers (seed 002's `pricing_patch`)."""
    fields = (f"{orjson.dumps(name).decode()}:{value}" for name, value in override.patch.items())
    return "{" + ",".join(fields) + "}"


def routing_rule(rule: RoutingRule) -> dict[str, Any]:
    targets = [
        _compact({"provider": t.provider, "model": t.model, "key_id": t.key_id})
        | {"weight": float(t.weight)}
        for t in rule.targets
    ]
    rendered = _compact(
        {
            "id": rule.id,
            "name": rule.name,
            "description": rule.description,
            "enabled": rule.enabled,
            "cel_expression": rule.cel_expression,
            "targets": targets,
            "fallbacks": list(rule.fallbacks),
            "scope": rule.scope,
            "scope_id": rule.scope_id,
            "priority": rule.priority,
            "created_at": when(rule.created_at),
            "updated_at": when(rule.updated_at),
        }
    )
    if rule.query is not None:
        rendered["query"] = dict(rule.query)
    return rendered
