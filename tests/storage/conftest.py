"""An empty config store on each backend: SQLite in a temp dir, Postgres in a fresh schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.management.backends import BACKENDS, backend_env


@pytest.fixture(params=BACKENDS)
def store_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str | None, Path]]:
    """(CLOVERLEAF_DATABASE_URL or None, data dir)."""
    with backend_env(request.param) as env:
        yield env.get("CLOVERLEAF_DATABASE_URL"), tmp_path / "data"
