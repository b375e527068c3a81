"""The config file is imported once per version (config_hash); API changes survive restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cloverleaf.config.providers import GatewayConfig
from cloverleaf.storage.crypto import MasterKeyError
from cloverleaf.storage.loader import config_from_snapshot
from cloverleaf.storage.repository import ProviderRecord
from cloverleaf.storage.store import ConfigStore
from tests.management.backends import MASTER_KEY

ENV = {"CLOVERLEAF_MASTER_KEY": MASTER_KEY, "UPSTREAM_KEY": "sk-from-env-var-123"}


def _config(base_url: str, key: str = "sk-literal-0123456789abcdef") -> GatewayConfig:
    raw: dict[str, Any] = {
        "providers": {
            "openai": {
                "keys": [{"value": key}, {"id": "by-env", "value": "env.UPSTREAM_KEY"}],
                "network_config": {"base_url": base_url},
            },
            "groq": {"keys": [{"value": "sk-groq-0123456789abcdef"}]},
        }
    }
    return GatewayConfig.model_validate(raw, context={"env": ENV})


def test_config_hash_decides_what_is_reapplied(store_env: tuple[str | None, Path]) -> None:
    url, data_dir = store_env

    async def scenario() -> None:
        store = ConfigStore(url, data_dir, ENV)
        try:
            first = await store.prepare(_config("http://a"))
            assert first is not None and sorted(first.added) == ["groq", "openai"]
            snapshot = await store.repository.snapshot()
            loaded = config_from_snapshot(snapshot, GatewayConfig(), ENV)
            keys = loaded.providers["openai"].keys
            assert [k.id for k in keys] == ["openai-0", "by-env"]
            assert keys[1].value.value == "sk-from-env-var-123"
            stored_env_key = snapshot.keys_of("openai")[1].document["value"]
            assert stored_env_key == {"env_var": "UPSTREAM_KEY", "from_env": True}

            # a change through the API (source=api) survives an unchanged file
            async with store.repository.write() as tx:
                record = await tx.provider("openai")
                assert record is not None and record.config_hash
                document = {**record.document, "network_config": {"base_url": "http://api"}}
                await tx.save_provider(
                    ProviderRecord("openai", document, "api", record.config_hash)
                )
            again = await store.prepare(_config("http://a"))
            assert again is not None and sorted(again.unchanged) == ["groq", "openai"]
            version = await store.repository.version()
            snapshot = await store.repository.snapshot()
            doc = next(p for p in snapshot.providers if p.name == "openai").document
            assert doc["network_config"]["base_url"] == "http://api"

            # a changed file entry is applied; a provider dropped from the file goes away
            changed = GatewayConfig(providers={"openai": _config("http://b").providers["openai"]})
            report = await store.prepare(changed)
            assert report is not None and report.replaced == ["openai"]
            assert report.removed == ["groq"]
            assert await store.repository.version() > version
            snapshot = await store.repository.snapshot()
            assert [p.name for p in snapshot.providers] == ["openai"]
            doc = snapshot.providers[0].document
            assert doc["network_config"]["base_url"] == "http://b"
        finally:
            await store.aclose()

    asyncio.run(scenario())


def test_a_different_master_key_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = ConfigStore(None, tmp_path, {"CLOVERLEAF_MASTER_KEY": "one"})
        await store.prepare(None)
        await store.aclose()
        other = ConfigStore(None, tmp_path, {"CLOVERLEAF_MASTER_KEY": "two"})
        try:
            with pytest.raises(MasterKeyError):
                await other.prepare(None)
        finally:
            await other.aclose()

    asyncio.run(scenario())


def test_secrets_are_not_in_the_database_file(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = ConfigStore(None, tmp_path, ENV)
        try:
            await store.prepare(_config("http://a", key="sk-PLAINTEXT-CANARY-98765"))
        finally:
            await store.aclose()

    asyncio.run(scenario())
    files = [p for p in tmp_path.iterdir() if p.name.startswith("cloverleaf.db")]
    assert files
    for path in files:
        data = path.read_bytes()
        assert b"sk-PLAINTEXT-CANARY-98765" not in data
        assert b"PLAINTEXT-CANARY" not in data
