"""Gateway environments for each config-store backend: the same tests run on both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.services import postgres_url, require_postgres, run_sql

BACKENDS = ("sqlite", "postgres")
MASTER_KEY = "test-master-key-0123456789"


@contextmanager
def backend_env(backend: str) -> Iterator[dict[str, str]]:
    """Env vars selecting `backend`; Postgres gets a fresh schema, dropped afterwards."""
    if backend == "sqlite":
        yield {}
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    run_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield {"CLOVERLEAF_DATABASE_URL": postgres_url(schema), "CLOVERLEAF_MASTER_KEY": MASTER_KEY}
    finally:
        run_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
