"""Import the config file into the store, once per file version (seed 000's config_hash).

A provider whose file entry is unchanged since the last import is left alone, so changes made
through the API survive restarts; a changed entry replaces the stored one. Providers the file
no longer lists are removed only while they are still as the file made them (`source="file"`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cloverleaf.config.providers import GatewayConfig, ProviderConfig
from cloverleaf.storage.documents import content_hash, key_document, provider_document
from cloverleaf.storage.repository import (
    ACTIVE,
    DELETED,
    ConfigRepository,
    KeyRecord,
    ProviderRecord,
    StoreTx,
)

log = logging.getLogger("cloverleaf.storage")


@dataclass(slots=True)
class ImportReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def provider_hash(config: ProviderConfig) -> str:
    """Covers the provider's settings and all its keys, in order."""
    keys = [key_document(key) for key in config.keys]
    return content_hash({"provider": provider_document(config), "keys": keys})


async def import_config(repository: ConfigRepository, config: GatewayConfig) -> ImportReport:
    report = ImportReport()
    async with repository.write() as tx:
        stored = {record.name: record for record in await tx.providers()}
        for name, provider in config.providers.items():
            digest = provider_hash(provider)
            existing = stored.get(name)
            if existing is not None and existing.config_hash == digest:
                report.unchanged.append(name)
                continue
            await _replace(tx, name, provider, digest)
            (report.added if existing is None else report.replaced).append(name)
        for name, record in stored.items():
            if name not in config.providers and record.source == "file":
                if record.provider_status != DELETED:
                    report.removed.append(name)
                await tx.delete_provider(name)
    if report.added or report.replaced or report.removed:
        log.info(
            "config file imported: added %s, replaced %s, removed %s",
            report.added or "none",
            report.replaced or "none",
            report.removed or "none",
        )
    return report


async def _replace(tx: StoreTx, name: str, provider: ProviderConfig, digest: str) -> None:
    await tx.delete_keys_of(name)
    await tx.save_provider(
        ProviderRecord(name, provider_document(provider), "file", digest, ACTIVE)
    )
    for index, key in enumerate(provider.keys):
        document = key_document(key)
        key_id = key.id or f"{name}-{index}"
        document["id"] = key_id
        existing = await tx.key(key_id)
        if existing is not None:
            raise ValueError(
                f"config file: key id {key_id!r} of provider {name!r} is already used by "
                f"provider {existing.provider!r}"
            )
        await tx.save_key(KeyRecord(key_id, name, document, content_hash(document)))
