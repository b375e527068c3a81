"""The config store's tables. Config documents are sealed JSON; only what the store must look
up or report without the master key (names, ids, hashes, status) is in clear columns."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

#: small named values: the config version every instance polls, the master-key check
config_meta = Table(
    "config_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

providers = Table(
    "providers",
    metadata,
    Column("name", String(128), primary_key=True),
    #: order of declaration (file order, then API additions): bare model names resolve to the
    #: first provider that serves them, so the order is part of the config
    Column("position", Integer, nullable=False),
    #: "file" until changed through the API, then "api" (the file no longer overrides it)
    Column("source", String(16), nullable=False),
    #: seed 000's config_hash: which config-file version this row was imported from
    Column("config_hash", String(64), nullable=True),
    #: seed 000's ProviderStatus: active | error | deleted (a deleted row keeps its hash, so an
    #: unchanged config file does not bring the provider back)
    Column("provider_status", String(16), nullable=False),
    Column("sealed", Text, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

provider_keys = Table(
    "provider_keys",
    metadata,
    Column("key_id", String(128), primary_key=True),
    Column(
        "provider_name",
        String(128),
        ForeignKey("providers.name", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    Column("config_hash", String(64), nullable=True),
    Column("sealed", Text, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)
