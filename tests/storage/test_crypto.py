"""AES-GCM sealing and the master key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cloverleaf.storage.crypto import MASTER_KEY_FILE, MasterKeyError, Sealer, load_master_key


def test_seal_round_trip_is_bound_to_its_place() -> None:
    sealer = Sealer(b"k1")
    token = sealer.seal(b"sk-secret", "key:a")
    assert b"sk-secret" not in token.encode()
    assert sealer.open(token, "key:a") == b"sk-secret"
    assert sealer.seal(b"sk-secret", "key:a") != token  # fresh nonce each time
    with pytest.raises(MasterKeyError):
        sealer.open(token, "key:b")  # moved to another row
    with pytest.raises(MasterKeyError, match="master"):
        Sealer(b"k2").open(token, "key:a")


def test_master_key_is_generated_once_with_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_master_key({}, data_dir)
    path = data_dir / MASTER_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key({}, data_dir) == first
    assert len(first) >= 32
    assert list(data_dir.iterdir()) == [path]  # no temp file left behind


def test_environment_master_key_wins(tmp_path: Path) -> None:
    assert load_master_key({"CLOVERLEAF_MASTER_KEY": "from-env"}, tmp_path) == b"from-env"
    assert not (tmp_path / MASTER_KEY_FILE).exists()
