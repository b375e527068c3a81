"""Governance: budgets, rate limits, customers, teams, virtual keys and their provider configs,
model configs, provider governance, pricing overrides, routing rules. Additive only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = 64
_NAME = 255


def _times() -> list[sa.Column[int]]:
    return [
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
    ]


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(_ID), primary_key=True)


def _ref(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(_ID), nullable=True)


def upgrade() -> None:
    op.create_table(
        "gov_budgets",
        _id(),
        sa.Column("max_limit", sa.String(64), nullable=False),
        sa.Column("reset_duration", sa.String(16), nullable=False),
        sa.Column("calendar_aligned", sa.Boolean, nullable=False),
        sa.Column("current_usage", sa.String(64), nullable=False),
        sa.Column("last_reset_ms", sa.BigInteger, nullable=False),
        *_times(),
    )
    op.create_table(
        "gov_rate_limits",
        _id(),
        sa.Column("token_max_limit", sa.BigInteger, nullable=True),
        sa.Column("token_reset_duration", sa.String(16), nullable=True),
        sa.Column("request_max_limit", sa.BigInteger, nullable=True),
        sa.Column("request_reset_duration", sa.String(16), nullable=True),
        sa.Column("token_current_usage", sa.BigInteger, nullable=False),
        sa.Column("request_current_usage", sa.BigInteger, nullable=False),
        sa.Column("token_last_reset_ms", sa.BigInteger, nullable=False),
        sa.Column("request_last_reset_ms", sa.BigInteger, nullable=False),
        *_times(),
    )
    op.create_table(
        "gov_customers",
        _id(),
        sa.Column("name", sa.String(_NAME), nullable=False),
        _ref("budget_id"),
        *_times(),
    )
    op.create_table(
        "gov_teams",
        _id(),
        sa.Column("name", sa.String(_NAME), nullable=False),
        _ref("customer_id"),
        _ref("budget_id"),
        *_times(),
    )
    op.create_index("ix_gov_teams_customer_id", "gov_teams", ["customer_id"])
    op.create_table(
        "gov_virtual_keys",
        _id(),
        sa.Column("name", sa.String(_NAME), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("value_preview", sa.String(16), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        _ref("team_id"),
        _ref("customer_id"),
        _ref("budget_id"),
        _ref("rate_limit_id"),
        sa.Column("mcp_configs", sa.Text, nullable=False),
        *_times(),
    )
    op.create_table(
        "gov_vk_provider_configs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("virtual_key_id", sa.String(_ID), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("provider", sa.String(128), nullable=False),
        sa.Column("weight", sa.Float, nullable=True),
        sa.Column("allowed_models", sa.Text, nullable=False),
        sa.Column("key_ids", sa.Text, nullable=False),
        _ref("budget_id"),
        _ref("rate_limit_id"),
    )
    op.create_index(
        "ix_gov_vk_provider_configs_virtual_key_id", "gov_vk_provider_configs", ["virtual_key_id"]
    )
    op.create_table(
        "gov_model_configs",
        _id(),
        sa.Column("model_name", sa.String(_NAME), nullable=False),
        sa.Column("provider", sa.String(128), nullable=True),
        _ref("budget_id"),
        _ref("rate_limit_id"),
        *_times(),
    )
    op.create_table(
        "gov_provider_governance",
        sa.Column("provider", sa.String(128), primary_key=True),
        _ref("budget_id"),
        _ref("rate_limit_id"),
        *_times(),
    )
    op.create_table(
        "gov_pricing_overrides",
        _id(),
        sa.Column("name", sa.String(_NAME), nullable=False),
        sa.Column("scope_kind", sa.String(32), nullable=False),
        _ref("virtual_key_id"),
        sa.Column("provider_id", sa.String(128), nullable=True),
        sa.Column("provider_key_id", sa.String(128), nullable=True),
        sa.Column("match_type", sa.String(16), nullable=False),
        sa.Column("pattern", sa.String(_NAME), nullable=False),
        sa.Column("request_types", sa.Text, nullable=False),
        sa.Column("pricing_patch", sa.Text, nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=True),
        *_times(),
    )
    op.create_table(
        "gov_routing_rules",
        _id(),
        sa.Column("name", sa.String(_NAME), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("cel_expression", sa.Text, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("fallbacks", sa.Text, nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        _ref("scope_id"),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("query", sa.Text, nullable=True),
        *_times(),
    )


# No downgrade: migrations only move forward and never drop data.
