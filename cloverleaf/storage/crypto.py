"""AES-GCM sealing of stored config, and the master key it uses."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_FILE = "master.key"
_VERSION = "v1"
_NONCE_BYTES = 12


class MasterKeyError(ValueError):
    """The master key is missing, unreadable, or not the one that sealed the database."""


class Sealer:
    """Encrypts a value bound to where it is stored (`aad`), so sealed blobs cannot be swapped
    between rows without detection."""

    def __init__(self, master_key: bytes) -> None:
        # any length of key material in, exactly 256 bits out
        self._aead = AESGCM(hashlib.sha256(b"cloverleaf-config\x00" + master_key).digest())

    def seal(self, plaintext: bytes, aad: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, aad.encode())
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, token: str, aad: str) -> bytes:
        version, _, payload = token.partition(":")
        if version != _VERSION:
            raise MasterKeyError(f"unknown sealed-value format {version!r}")
        raw = base64.b64decode(payload)
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad.encode())
        except InvalidTag:
            raise MasterKeyError(
                "cannot decrypt stored config: CLOVERLEAF_MASTER_KEY (or the data dir's "
                "master.key) is not the key this database was written with"
            ) from None


def load_master_key(env: Mapping[str, str], data_dir: Path) -> bytes:
    """`CLOVERLEAF_MASTER_KEY`, else the data dir's key file, created (0600) on first start."""
    given = env.get("CLOVERLEAF_MASTER_KEY")
    if given:
        return given.encode()
    path = data_dir / MASTER_KEY_FILE
    if path.exists():
        key = path.read_bytes().strip()
        if not key:
            raise MasterKeyError(f"{path} is empty")
        return key
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = base64.b64encode(os.urandom(32))
    temp = path.with_name(f".{MASTER_KEY_FILE}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    try:
        os.link(temp, path)  # atomic: a racing worker sees no key file or a complete one
    except FileExistsError:
        key = path.read_bytes().strip()
    finally:
        temp.unlink()
    return key
