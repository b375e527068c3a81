"""Governance objects to table rows and back: money as decimal text, lists as JSON text,
times as epoch milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import RowMapping, Table

from cloverleaf.governance.models import (
    Budget,
    Customer,
    McpConfig,
    ModelConfig,
    PricingOverride,
    ProviderConfig,
    ProviderGovernance,
    RateLimit,
    RoutingRule,
    RoutingTarget,
    Team,
    VirtualKey,
)
from cloverleaf.storage.governance_tables import (
    gov_budgets,
    gov_customers,
    gov_model_configs,
    gov_pricing_overrides,
    gov_provider_governance,
    gov_rate_limits,
    gov_routing_rules,
    gov_teams,
    gov_virtual_keys,
)

Row = RowMapping
Stored = (
    Budget
    | RateLimit
    | Customer
    | Team
    | VirtualKey
    | ModelConfig
    | ProviderGovernance
    | PricingOverride
    | RoutingRule
)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _times(obj: Any) -> dict[str, int]:
    return {"created_at_ms": to_ms(obj.created_at), "updated_at_ms": to_ms(obj.updated_at)}


def _created(row: Row) -> dict[str, datetime]:
    return {
        "created_at": from_ms(row["created_at_ms"]),
        "updated_at": from_ms(row["updated_at_ms"]),
    }


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _load(text: str | None) -> Any:
    return orjson.loads(text) if text is not None else None


def row_of(obj: Stored) -> tuple[Table, str, dict[str, Any]]:
    """The table, primary-key column and column values of an object."""
    if isinstance(obj, Budget):
        values: dict[str, Any] = {
            "id": obj.id,
            "max_limit": str(obj.max_limit),
            "reset_duration": obj.reset_duration,
            "calendar_aligned": obj.calendar_aligned,
            "current_usage": str(obj.current_usage),
            "last_reset_ms": to_ms(obj.last_reset),
        }
        return gov_budgets, "id", values | _times(obj)
    if isinstance(obj, RateLimit):
        values = {
            name: getattr(obj, name)
            for name in (
                "id",
                "token_max_limit",
                "token_reset_duration",
                "request_max_limit",
                "request_reset_duration",
                "token_current_usage",
                "request_current_usage",
            )
        }
        values["token_last_reset_ms"] = to_ms(obj.token_last_reset)
        values["request_last_reset_ms"] = to_ms(obj.request_last_reset)
        return gov_rate_limits, "id", values | _times(obj)
    if isinstance(obj, Customer):
        values = {"id": obj.id, "name": obj.name, "budget_id": obj.budget_id}
        return gov_customers, "id", values | _times(obj)
    if isinstance(obj, Team):
        values = {
            "id": obj.id,
            "name": obj.name,
            "customer_id": obj.customer_id,
            "budget_id": obj.budget_id,
        }
        return gov_teams, "id", values | _times(obj)
    if isinstance(obj, VirtualKey):
        return gov_virtual_keys, "id", _virtual_key_row(obj)
    if isinstance(obj, ModelConfig):
        values = {
            "id": obj.id,
            "model_name": obj.model_name,
            "provider": obj.provider,
            "budget_id": obj.budget_id,
            "rate_limit_id": obj.rate_limit_id,
        }
        return gov_model_configs, "id", values | _times(obj)
    if isinstance(obj, ProviderGovernance):
        values = {
            "provider": obj.provider,
            "budget_id": obj.budget_id,
            "rate_limit_id": obj.rate_limit_id,
        }
        return gov_provider_governance, "provider", values | _times(obj)
    if isinstance(obj, PricingOverride):
        return gov_pricing_overrides, "id", _pricing_row(obj)
    return gov_routing_rules, "id", _rule_row(obj)


def _virtual_key_row(key: VirtualKey) -> dict[str, Any]:
    mcp = [
        {"id": c.id, "mcp_client_name": c.mcp_client_name, "tools": list(c.tools_to_execute)}
        for c in key.mcp_configs
    ]
    values = {
        "id": key.id,
        "name": key.name,
        "description": key.description,
        "value_hash": key.value_hash,
        "value_preview": key.value_preview,
        "is_active": key.is_active,
        "team_id": key.team_id,
        "customer_id": key.customer_id,
        "budget_id": key.budget_id,
        "rate_limit_id": key.rate_limit_id,
        "mcp_configs": _json(mcp),
    }
    return values | _times(key)


def provider_config_row(config: ProviderConfig, position: int) -> dict[str, Any]:
    return {
        "id": config.id,
        "virtual_key_id": config.virtual_key_id,
        "position": position,
        "provider": config.provider,
        "weight": config.weight,
        "allowed_models": _json(list(config.allowed_models)),
        "key_ids": _json(list(config.key_ids)),
        "budget_id": config.budget_id,
        "rate_limit_id": config.rate_limit_id,
    }


def _pricing_row(override: PricingOverride) -> dict[str, Any]:
    values = {
        "id": override.id,
        "name": override.name,
        "scope_kind": override.scope_kind,
        "virtual_key_id": override.virtual_key_id,
        "provider_id": override.provider_id,
        "provider_key_id": override.provider_key_id,
        "match_type": override.match_type,
        "pattern": override.pattern,
        "request_types": _json(list(override.request_types)),
        "pricing_patch": _json({k: str(v) for k, v in override.patch.items()}),
        "config_hash": override.config_hash,
    }
    return values | _times(override)


def _rule_row(rule: RoutingRule) -> dict[str, Any]:
    targets = [
        {"provider": t.provider, "model": t.model, "key_id": t.key_id, "weight": str(t.weight)}
        for t in rule.targets
    ]
    values = {
        "id": rule.id,
        "name": rule.name,
        "description": rule.description,
        "enabled": rule.enabled,
        "cel_expression": rule.cel_expression,
        "targets": _json(targets),
        "fallbacks": _json(list(rule.fallbacks)),
        "scope": rule.scope,
        "scope_id": rule.scope_id,
        "priority": rule.priority,
        "query": _json(rule.query) if rule.query is not None else None,
    }
    return values | _times(rule)


def budget_from(row: Row) -> Budget:
    return Budget(
        id=row["id"],
        max_limit=Decimal(row["max_limit"]),
        reset_duration=row["reset_duration"],
        calendar_aligned=bool(row["calendar_aligned"]),
        current_usage=Decimal(row["current_usage"]),
        last_reset=from_ms(row["last_reset_ms"]),
        **_created(row),
    )


def rate_limit_from(row: Row) -> RateLimit:
    return RateLimit(
        id=row["id"],
        token_max_limit=row["token_max_limit"],
        token_reset_duration=row["token_reset_duration"],
        request_max_limit=row["request_max_limit"],
        request_reset_duration=row["request_reset_duration"],
        token_current_usage=row["token_current_usage"],
        request_current_usage=row["request_current_usage"],
        token_last_reset=from_ms(row["token_last_reset_ms"]),
        request_last_reset=from_ms(row["request_last_reset_ms"]),
        **_created(row),
    )


def customer_from(row: Row) -> Customer:
    return Customer(id=row["id"], name=row["name"], budget_id=row["budget_id"], **_created(row))


def team_from(row: Row) -> Team:
    return Team(
        id=row["id"],
        name=row["name"],
        customer_id=row["customer_id"],
        budget_id=row["budget_id"],
        **_created(row),
    )


def provider_config_from(row: Row) -> ProviderConfig:
    return ProviderConfig(
        id=row["id"],
        virtual_key_id=row["virtual_key_id"],
        provider=row["provider"],
        weight=row["weight"],
        allowed_models=tuple(_load(row["allowed_models"])),
        key_ids=tuple(_load(row["key_ids"])),
        budget_id=row["budget_id"],
        rate_limit_id=row["rate_limit_id"],
    )


def virtual_key_from(row: Row, configs: tuple[ProviderConfig, ...]) -> VirtualKey:
    mcp = tuple(
        McpConfig(c["id"], c["mcp_client_name"], tuple(c["tools"]))
        for c in _load(row["mcp_configs"])
    )
    return VirtualKey(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        value_hash=row["value_hash"],
        value_preview=row["value_preview"],
        is_active=bool(row["is_active"]),
        team_id=row["team_id"],
        customer_id=row["customer_id"],
        budget_id=row["budget_id"],
        rate_limit_id=row["rate_limit_id"],
        provider_configs=configs,
        mcp_configs=mcp,
        **_created(row),
    )


def model_config_from(row: Row) -> ModelConfig:
    return ModelConfig(
        id=row["id"],
        model_name=row["model_name"],
        provider=row["provider"],
        budget_id=row["budget_id"],
        rate_limit_id=row["rate_limit_id"],
        **_created(row),
    )


def provider_governance_from(row: Row) -> ProviderGovernance:
    return ProviderGovernance(
        provider=row["provider"],
        budget_id=row["budget_id"],
        rate_limit_id=row["rate_limit_id"],
        **_created(row),
    )


def pricing_from(row: Row) -> PricingOverride:
    patch = {name: Decimal(value) for name, value in _load(row["pricing_patch"]).items()}
    return PricingOverride(
        id=row["id"],
        name=row["name"],
        scope_kind=row["scope_kind"],
        virtual_key_id=row["virtual_key_id"],
        provider_id=row["provider_id"],
        provider_key_id=row["provider_key_id"],
        match_type=row["match_type"],
        pattern=row["pattern"],
        request_types=tuple(_load(row["request_types"])),
        patch=patch,
        config_hash=row["config_hash"],
        **_created(row),
    )


def rule_from(row: Row) -> RoutingRule:
    targets = tuple(
        RoutingTarget(t["provider"], t["model"], t["key_id"], Decimal(t["weight"]))
        for t in _load(row["targets"])
    )
    return RoutingRule(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        enabled=bool(row["enabled"]),
        cel_expression=row["cel_expression"],
        targets=targets,
        fallbacks=tuple(_load(row["fallbacks"])),
        scope=row["scope"],
        scope_id=row["scope_id"],
        priority=row["priority"],
        query=_load(row["query"]),
        **_created(row),
    )


#: table → how its rows become objects (virtual keys are assembled with their configs)
READERS: dict[Table, Callable[[Row], Any]] = {
    gov_budgets: budget_from,
    gov_rate_limits: rate_limit_from,
    gov_customers: customer_from,
    gov_teams: team_from,
    gov_model_configs: model_config_from,
    gov_provider_governance: provider_governance_from,
    gov_pricing_overrides: pricing_from,
    gov_routing_rules: rule_from,
}
