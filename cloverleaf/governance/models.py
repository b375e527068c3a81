"""The governance objects as the gateway holds them in memory: one frozen snapshot per stored
config version, swapped whole on change, so the hot path reads without locks or SQL."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

SCOPES = (
    "global",
    "provider",
    "provider_key",
    "virtual_key",
    "virtual_key_provider",
    "virtual_key_provider_key",
)
#: pricing override scopes, least specific first: the most specific matching one wins
SCOPE_RANK = {name: rank for rank, name in enumerate(SCOPES)}


def hash_key_value(value: str) -> str:
    """What is stored for a virtual key: SHA-256 of its value (the value itself never is)."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Budget:
    id: str
    #: dollars, exact
    max_limit: Decimal
    reset_duration: str
    calendar_aligned: bool
    current_usage: Decimal
    last_reset: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RateLimit:
    id: str
    token_max_limit: int | None
    token_reset_duration: str | None
    request_max_limit: int | None
    request_reset_duration: str | None
    token_current_usage: int
    request_current_usage: int
    token_last_reset: datetime
    request_last_reset: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """What a virtual key may use of one provider. A key with none may use nothing."""

    id: int
    virtual_key_id: str
    provider: str
    weight: float | None
    #: empty: every model of the provider
    allowed_models: tuple[str, ...]
    #: pinned upstream key ids; empty: any of the provider's keys
    key_ids: tuple[str, ...]
    budget_id: str | None
    rate_limit_id: str | None


@dataclass(frozen=True, slots=True)
class McpConfig:
    id: int
    mcp_client_name: str
    tools_to_execute: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VirtualKey:
    id: str
    name: str
    description: str
    value_hash: str
    #: the value's last characters, to tell keys apart in listings
    value_preview: str
    is_active: bool
    team_id: str | None
    customer_id: str | None
    budget_id: str | None
    rate_limit_id: str | None
    provider_configs: tuple[ProviderConfig, ...]
    mcp_configs: tuple[McpConfig, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    customer_id: str | None
    budget_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    budget_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ModelConfig:
    id: str
    model_name: str
    #: None: the model on every provider
    provider: str | None
    budget_id: str | None
    rate_limit_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProviderGovernance:
    provider: str
    budget_id: str | None
    rate_limit_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PricingOverride:
    id: str
    name: str
    scope_kind: str
    virtual_key_id: str | None
    provider_id: str | None
    provider_key_id: str | None
    #: "exact" or "wildcard" (a prefix ending in `*`)
    match_type: str
    pattern: str
    request_types: tuple[str, ...]
    #: price field → USD per unit, exact
    patch: Mapping[str, Decimal]
    config_hash: str | None
    created_at: datetime
    updated_at: datetime

    def matches_model(self, model: str) -> bool:
        if self.match_type == "wildcard":
            return model.startswith(self.pattern[:-1])
        return model == self.pattern


@dataclass(frozen=True, slots=True)
class RoutingTarget:
    provider: str | None
    model: str | None
    key_id: str | None
    weight: Decimal


@dataclass(frozen=True, slots=True)
class RoutingRule:
    id: str
    name: str
    description: str
    enabled: bool
    cel_expression: str
    targets: tuple[RoutingTarget, ...]
    fallbacks: tuple[str, ...]
    scope: str
    scope_id: str | None
    priority: int
    query: Mapping[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class GovernanceSnapshot:
    """Every governance object at one config version, read in one transaction."""

    version: int = 0
    budgets: Mapping[str, Budget] = field(default_factory=dict)
    rate_limits: Mapping[str, RateLimit] = field(default_factory=dict)
    virtual_keys: Mapping[str, VirtualKey] = field(default_factory=dict)
    teams: Mapping[str, Team] = field(default_factory=dict)
    customers: Mapping[str, Customer] = field(default_factory=dict)
    model_configs: Mapping[str, ModelConfig] = field(default_factory=dict)
    provider_governance: Mapping[str, ProviderGovernance] = field(default_factory=dict)
    pricing_overrides: Mapping[str, PricingOverride] = field(default_factory=dict)
    routing_rules: Mapping[str, RoutingRule] = field(default_factory=dict)
    #: value hash → key; built once per snapshot
    keys_by_hash: Mapping[str, VirtualKey] = field(default_factory=dict)

    def find_key(self, value: str) -> VirtualKey | None:
        """The virtual key whose value this is; the stored hash is compared in constant time."""
        digest = hash_key_value(value)
        key = self.keys_by_hash.get(digest)
        if key is None or not hmac.compare_digest(key.value_hash, digest):
            return None
        return key

    def pricing_for(
        self,
        model: str,
        request_type: str,
        provider: str | None = None,
        provider_key_id: str | None = None,
        virtual_key_id: str | None = None,
    ) -> PricingOverride | None:
        """The most specific override that applies to a request (global < ... <
        virtual_key_provider_key); among equals, an exact pattern beats a wildcard."""
        given = {
            "virtual_key_id": virtual_key_id,
            "provider_id": provider,
            "provider_key_id": provider_key_id,
        }
        best: tuple[int, int, str] | None = None
        chosen: PricingOverride | None = None
        for override in self.pricing_overrides.values():
            if request_type not in override.request_types or not override.matches_model(model):
                continue
            wanted = {
                "virtual_key_id": override.virtual_key_id,
                "provider_id": override.provider_id,
                "provider_key_id": override.provider_key_id,
            }
            if any(value is not None and given[name] != value for name, value in wanted.items()):
                continue
            exact = 1 if override.match_type == "exact" else 0
            rank = (SCOPE_RANK[override.scope_kind], exact, override.id)
            if best is None or rank > best:
                best, chosen = rank, override
        return chosen
