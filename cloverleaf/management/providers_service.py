"""Provider CRUD over the store. Every change is validated by building its route first, so
nothing stored can fail to route, and is applied to the running router before returning."""

from __future__ import annotations

from typing import Any

from cloverleaf.config.providers import ProviderConfig
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.management.bodies import provider_name, provider_settings
from cloverleaf.management.live import LiveConfig
from cloverleaf.routing.table import build_route
from cloverleaf.storage.documents import PROVIDER_STATUS_FIELDS, provider_document
from cloverleaf.storage.repository import ACTIVE, DELETED, ProviderRecord, Snapshot, StoreTx


def provider_not_found(name: str) -> GatewayError:
    return GatewayError(404, f"provider {name!r} not found", code="provider_not_found")


def check_routable(name: str, config: ProviderConfig) -> None:
    """400 for what the router would reject: unknown provider names, missing endpoints."""
    try:
        build_route(name, config)
    except ValueError as exc:
        raise bad_request(str(exc), param="provider") from None


async def active_provider(tx: StoreTx, name: str) -> ProviderRecord:
    record = await tx.provider(name)
    if record is None or record.provider_status == DELETED:
        raise provider_not_found(name)
    return record


class ProviderService:
    def __init__(self, live: LiveConfig) -> None:
        self._live = live
        self._repository = live.repository

    async def snapshot(self) -> Snapshot:
        return await self._repository.snapshot()

    async def get(self, name: str) -> ProviderRecord:
        async with self._repository.read() as tx:
            return await active_provider(tx, name)

    async def add(self, body: dict[str, Any]) -> ProviderRecord:
        name = provider_name(body.get("provider"))
        config = provider_settings({k: v for k, v in body.items() if k != "provider"})
        check_routable(name, config)
        async with self._repository.write() as tx:
            existing = await tx.provider(name)
            if existing is not None and existing.provider_status != DELETED:
                raise GatewayError(409, f"provider {name!r} already exists", code="provider_exists")
            # a re-added provider keeps the tombstone's hash: an unchanged file stays ignored
            digest = existing.config_hash if existing is not None else None
            record = ProviderRecord(name, provider_document(config), "api", digest, ACTIVE)
            await tx.save_provider(record)
        await self._live.changed(tx.version)
        return record

    async def update(self, name: str, body: dict[str, Any]) -> ProviderRecord:
        """Full replacement (seed: partial updates are not supported); keys are untouched.

        Like Bifrost's, this is an upsert: a provider not configured yet is created, and a name
        no provider has is a 400 (the seed declares no 404 here)."""
        config = provider_settings(body)
        check_routable(provider_name(name), config)
        async with self._repository.write() as tx:
            existing = await tx.provider(name)
            document = provider_document(config)
            if existing is not None and existing.provider_status != DELETED:
                for field in PROVIDER_STATUS_FIELDS:
                    if field in existing.document:
                        document[field] = existing.document[field]
            # a file-imported provider (or its tombstone) keeps its hash: the file stays ignored
            digest = existing.config_hash if existing is not None else None
            record = ProviderRecord(name, document, "api", digest, ACTIVE)
            await tx.save_provider(record)
        await self._live.changed(tx.version)
        return record

    async def delete(self, name: str) -> ProviderRecord:
        """Removes the provider and its keys. One imported from the config file is kept as a
        `deleted` tombstone with its hash, so an unchanged file does not bring it back."""
        async with self._repository.write() as tx:
            existing = await active_provider(tx, name)
            await tx.delete_keys_of(name)
            if existing.config_hash:
                tombstone = ProviderRecord(name, {}, "api", existing.config_hash, DELETED)
                await tx.save_provider(tombstone)
            else:
                await tx.delete_provider(name)
        await self._live.changed(tx.version)
        return existing
