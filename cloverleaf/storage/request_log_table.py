"""The request log: one row per finished request, keyed by its request id, so a batch written
twice (a retry, a replayed spool) never duplicates a row. Cost is decimal text, as in the
governance tables: neither SQLite nor a float column ever rounds a dollar amount."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from cloverleaf.storage.tables import metadata

ID_LENGTH = 128
PROVIDER_LENGTH = 128
MODEL_LENGTH = 255
REQUEST_TYPE_LENGTH = 32

request_log = Table(
    "request_log",
    metadata,
    Column("request_id", String(ID_LENGTH), primary_key=True),
    #: when the request finished, milliseconds since the Unix epoch (UTC)
    Column("finished_at_ms", BigInteger, nullable=False),
    Column("provider", String(PROVIDER_LENGTH), nullable=False),
    Column("model", String(MODEL_LENGTH), nullable=False),
    Column("status", Integer, nullable=False),
    Column("stream", Boolean, nullable=False),
    Column("remote_ms", Float, nullable=False),
    #: token counts are NULL when the upstream reported no usage (not the same as zero)
    Column("prompt_tokens", BigInteger, nullable=True),
    Column("completion_tokens", BigInteger, nullable=True),
    Column("total_tokens", BigInteger, nullable=True),
    Column("cached_tokens", BigInteger, nullable=True),
    Column("cache_write_tokens", BigInteger, nullable=True),
    Column("reasoning_tokens", BigInteger, nullable=True),
    #: dollars as exact decimal text; NULL when unknown (then `unpriced` says why)
    Column("cost", Text, nullable=True),
    Column("unpriced", Boolean, nullable=False),
    Column("client_key_id", String(ID_LENGTH), nullable=True),
    #: Bifrost's request type (`chat_completion`, `embedding`, `image_generation`, ...)
    Column("request_type", String(REQUEST_TYPE_LENGTH), nullable=True),
    #: units billed beside tokens; NULL when the request has none. Seconds as decimal text.
    Column("images", Integer, nullable=True),
    Column("audio_seconds", Text, nullable=True),
    Column("characters", BigInteger, nullable=True),
    Index("ix_request_log_finished_at_ms", "finished_at_ms"),
    Index("ix_request_log_client_key_id", "client_key_id", "finished_at_ms"),
)
