"""The request log keeps each request's type (chat, embedding, image generation, ...) and the
units billed beside tokens (images, seconds of audio, characters). Additive only: older rows
read NULL (unknown), never zero.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_log") as table:
        table.add_column(sa.Column("request_type", sa.String(32), nullable=True))
        table.add_column(sa.Column("images", sa.Integer, nullable=True))
        table.add_column(sa.Column("audio_seconds", sa.Text, nullable=True))
        table.add_column(sa.Column("characters", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_log") as table:
        for column in ("characters", "audio_seconds", "images", "request_type"):
            table.drop_column(column)
