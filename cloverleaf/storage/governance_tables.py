"""The governance tables (seed 002's objects). Money is stored as decimal text, so neither
SQLite nor a float column ever rounds a dollar amount; lists are JSON text.

A virtual key's value is never stored: only its SHA-256 (`value_hash`, unique) and its last
characters (`value_preview`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, String, Table, Text

from cloverleaf.storage.tables import metadata

_ID = 64
_NAME = 255


def _times() -> list[Column[int]]:
    return [
        Column("created_at_ms", BigInteger, nullable=False),
        Column("updated_at_ms", BigInteger, nullable=False),
    ]


gov_budgets = Table(
    "gov_budgets",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("max_limit", String(64), nullable=False),
    Column("reset_duration", String(16), nullable=False),
    Column("calendar_aligned", Boolean, nullable=False),
    Column("current_usage", String(64), nullable=False),
    Column("last_reset_ms", BigInteger, nullable=False),
    *_times(),
)

gov_rate_limits = Table(
    "gov_rate_limits",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("token_max_limit", BigInteger, nullable=True),
    Column("token_reset_duration", String(16), nullable=True),
    Column("request_max_limit", BigInteger, nullable=True),
    Column("request_reset_duration", String(16), nullable=True),
    Column("token_current_usage", BigInteger, nullable=False),
    Column("request_current_usage", BigInteger, nullable=False),
    Column("token_last_reset_ms", BigInteger, nullable=False),
    Column("request_last_reset_ms", BigInteger, nullable=False),
    *_times(),
)

gov_customers = Table(
    "gov_customers",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("budget_id", String(_ID), nullable=True),
    *_times(),
)

gov_teams = Table(
    "gov_teams",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("customer_id", String(_ID), nullable=True, index=True),
    Column("budget_id", String(_ID), nullable=True),
    *_times(),
)

gov_virtual_keys = Table(
    "gov_virtual_keys",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("description", Text, nullable=False),
    Column("value_hash", String(64), nullable=False, unique=True),
    Column("value_preview", String(16), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("team_id", String(_ID), nullable=True),
    Column("customer_id", String(_ID), nullable=True),
    Column("budget_id", String(_ID), nullable=True),
    Column("rate_limit_id", String(_ID), nullable=True),
    Column("mcp_configs", Text, nullable=False),
    *_times(),
)

gov_vk_provider_configs = Table(
    "gov_vk_provider_configs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("virtual_key_id", String(_ID), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("provider", String(128), nullable=False),
    Column("weight", Float, nullable=True),
    Column("allowed_models", Text, nullable=False),
    Column("key_ids", Text, nullable=False),
    Column("budget_id", String(_ID), nullable=True),
    Column("rate_limit_id", String(_ID), nullable=True),
)

gov_model_configs = Table(
    "gov_model_configs",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("model_name", String(_NAME), nullable=False),
    Column("provider", String(128), nullable=True),
    Column("budget_id", String(_ID), nullable=True),
    Column("rate_limit_id", String(_ID), nullable=True),
    *_times(),
)

gov_provider_governance = Table(
    "gov_provider_governance",
    metadata,
    Column("provider", String(128), primary_key=True),
    Column("budget_id", String(_ID), nullable=True),
    Column("rate_limit_id", String(_ID), nullable=True),
    *_times(),
)

gov_pricing_overrides = Table(
    "gov_pricing_overrides",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("scope_kind", String(32), nullable=False),
    Column("virtual_key_id", String(_ID), nullable=True),
    Column("provider_id", String(128), nullable=True),
    Column("provider_key_id", String(128), nullable=True),
    Column("match_type", String(16), nullable=False),
    Column("pattern", String(_NAME), nullable=False),
    Column("request_types", Text, nullable=False),
    #: JSON object of decimal strings (seed 002's `pricing_patch`)
    Column("pricing_patch", Text, nullable=False),
    Column("config_hash", String(64), nullable=True),
    *_times(),
)

gov_routing_rules = Table(
    "gov_routing_rules",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("description", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("cel_expression", Text, nullable=False),
    Column("targets", Text, nullable=False),
    Column("fallbacks", Text, nullable=False),
    Column("scope", String(32), nullable=False),
    Column("scope_id", String(_ID), nullable=True),
    Column("priority", Integer, nullable=False),
    Column("query", Text, nullable=True),
    *_times(),
)

#: every governance table, in the order a snapshot reads them
GOVERNANCE_TABLES = (
    gov_budgets,
    gov_rate_limits,
    gov_customers,
    gov_teams,
    gov_virtual_keys,
    gov_vk_provider_configs,
    gov_model_configs,
    gov_provider_governance,
    gov_pricing_overrides,
    gov_routing_rules,
)
