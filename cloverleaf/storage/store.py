"""The config store as the server uses it: open, migrate, check the key, import the file."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from cloverleaf.config.providers import GatewayConfig
from cloverleaf.storage.crypto import Sealer, load_master_key
from cloverleaf.storage.engine import create_engine, database_url, describe
from cloverleaf.storage.importer import ImportReport, import_config
from cloverleaf.storage.migrate import migrate
from cloverleaf.storage.repository import ConfigRepository

log = logging.getLogger("cloverleaf.storage")


class ConfigStore:
    """Owns the engine; `repository` is what handlers and the reloader use."""

    def __init__(self, url: str | None, data_dir: Path, env: Mapping[str, str]) -> None:
        self.url = database_url(url, data_dir)
        self.engine = create_engine(self.url)
        self.repository = ConfigRepository(self.engine, Sealer(load_master_key(env, data_dir)))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    async def prepare(self, file_config: GatewayConfig | None) -> ImportReport | None:
        """Migrate, verify the master key, then import the config file (when given)."""
        revision = await migrate(self.engine)
        log.info("config store %s at revision %s", describe(self.url), revision)
        await self.repository.check_master_key()
        if file_config is None:
            return None
        return await import_config(self.repository, file_config)

    async def aclose(self) -> None:
        await self.engine.dispose()
