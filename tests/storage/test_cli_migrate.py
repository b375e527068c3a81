"""`cloverleaf migrate`: the startup migrations as a command of their own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.gateway_process import clean_env


def test_migrate_command_creates_and_then_keeps_the_database(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cloverleaf", "migrate", "--data-dir", str(tmp_path)]
    for _ in range(2):
        done = subprocess.run(command, env=clean_env(), capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "sqlite config database is up to date" in done.stdout
    assert (tmp_path / "cloverleaf.db").exists()
    assert (tmp_path / "master.key").exists()
