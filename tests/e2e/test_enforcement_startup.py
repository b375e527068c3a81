"""Settings that would make limits silently wrong stop the gateway before it serves anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway_process import clean_env


def _serve(tmp_path: Path, args: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cloverleaf", "serve", "--port", "1", *args],
        capture_output=True,
        text=True,
        env=clean_env(env),
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_several_workers_with_memory_counters_are_refused(tmp_path: Path) -> None:
    stderr = _serve(tmp_path, ["--workers", "2"])
    assert "in-memory counters" in stderr and "CLOVERLEAF_REDIS_URL" in stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLOVERLEAF_REQUIRE_CLIENT_KEY": "sometimes"}, "CLOVERLEAF_REQUIRE_CLIENT_KEY"),
        ({"CLOVERLEAF_COUNTERS_ON_REDIS_DOWN": "guess"}, "CLOVERLEAF_COUNTERS_ON_REDIS_DOWN"),
        (
            {"CLOVERLEAF_REQUIRE_CLIENT_KEY": "never", "CLOVERLEAF_ADMIN_KEY": "admin"},
            "non-loopback",
        ),
    ],
)
def test_bad_governance_settings_are_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    args = ["--host", "0.0.0.0"] if "never" in env.values() else []
    assert message in _serve(tmp_path, args, env)
