"""The request log: one row per finished request, keyed by request id. Additive only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("request_id", sa.String(128), primary_key=True),
        sa.Column("finished_at_ms", sa.BigInteger, nullable=False),
        sa.Column("provider", sa.String(128), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("remote_ms", sa.Float, nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger, nullable=True),
        sa.Column("completion_tokens", sa.BigInteger, nullable=True),
        sa.Column("total_tokens", sa.BigInteger, nullable=True),
        sa.Column("cached_tokens", sa.BigInteger, nullable=True),
        sa.Column("cache_write_tokens", sa.BigInteger, nullable=True),
        sa.Column("reasoning_tokens", sa.BigInteger, nullable=True),
        sa.Column("cost", sa.Text, nullable=True),
        sa.Column("unpriced", sa.Boolean, nullable=False),
        sa.Column("client_key_id", sa.String(128), nullable=True),
    )
    op.create_index("ix_request_log_finished_at_ms", "request_log", ["finished_at_ms"])
    op.create_index(
        "ix_request_log_client_key_id", "request_log", ["client_key_id", "finished_at_ms"]
    )


# No downgrade: migrations only move forward and never drop data.
