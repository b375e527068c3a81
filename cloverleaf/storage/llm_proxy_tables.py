"""LLM Proxy's projects and tokens (seed 003). A project's upstream key and a token's value are
sealed (AES-GCM, bound to their row); a token is looked up by the SHA-256 of its value, so no
query is ever built from a credential."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, String, Table, Text

from cloverleaf.storage.tables import metadata

_ID = 64

llmp_projects = Table(
    "llmp_projects",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("name", String(255), nullable=False),
    #: the project's own upstream OpenAI key, sealed
    Column("sealed_api_key", Text, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

llmp_tokens = Table(
    "llmp_tokens",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column(
        "project_id",
        String(_ID),
        ForeignKey("llmp_projects.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    #: SHA-256 of the token value: what a request is matched by
    Column("token_hash", String(64), nullable=False, unique=True),
    #: the value itself, sealed: seed 003 shows it in every Token answer
    Column("sealed_token", Text, nullable=False),
    #: null: never expires
    Column("expires_at_ms", BigInteger, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("request_count", BigInteger, nullable=False),
    #: 0: unlimited
    Column("max_requests", BigInteger, nullable=False),
    Column("last_used_at_ms", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)
