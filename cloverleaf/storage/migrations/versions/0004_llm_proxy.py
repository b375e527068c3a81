"""LLM Proxy projects (with their sealed upstream key) and project tokens. Additive only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = 64


def upgrade() -> None:
    op.create_table(
        "llmp_projects",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sealed_api_key", sa.Text, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "llmp_tokens",
        sa.Column("id", sa.String(_ID), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(_ID),
            sa.ForeignKey("llmp_projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("sealed_token", sa.Text, nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("request_count", sa.BigInteger, nullable=False),
        sa.Column("max_requests", sa.BigInteger, nullable=False),
        sa.Column("last_used_at_ms", sa.BigInteger, nullable=True),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_llmp_tokens_project_id", "llmp_tokens", ["project_id"])


# No downgrade: migrations only move forward and never drop data.
