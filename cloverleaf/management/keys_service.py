"""Upstream key CRUD. Values are validated against this process's environment (an `env.NAME`
reference must be set), stored sealed, and never returned whole."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from cloverleaf.config.providers import KeyConfig
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.management.bodies import key_body, key_id
from cloverleaf.management.live import LiveConfig
from cloverleaf.management.providers_service import active_provider, check_routable
from cloverleaf.management.render import keep_redacted, render_key
from cloverleaf.storage.documents import key_document, key_from_document, provider_from_document
from cloverleaf.storage.repository import KeyRecord, ProviderRecord, StoreTx


def key_not_found(provider: str, key: str) -> GatewayError:
    return GatewayError(
        404, f"key {key!r} of provider {provider!r} not found", code="key_not_found"
    )


class KeyService:
    def __init__(self, live: LiveConfig, env: Mapping[str, str]) -> None:
        self._live = live
        self._repository = live.repository
        self._env = env

    async def list(self, provider: str) -> list[KeyRecord]:
        async with self._repository.read() as tx:
            await active_provider(tx, provider)
            return await tx.keys(provider)

    async def get(self, provider: str, key: str) -> KeyRecord:
        async with self._repository.read() as tx:
            await active_provider(tx, provider)
            return await _key_of(tx, provider, key)

    async def add(self, provider: str, body: dict[str, Any]) -> KeyRecord:
        """`id` is generated when omitted; `enabled` defaults to true."""
        new_id = key_id(body["id"]) if body.get("id") else str(uuid.uuid4())
        key = key_body({**body, "id": new_id}, self._env)
        async with self._repository.write() as tx:
            record = await active_provider(tx, provider)
            _refuse_keyless(record)
            existing = await tx.key(new_id)
            if existing is not None:
                raise GatewayError(
                    409,
                    f"key id {new_id!r} already exists (provider {existing.provider!r})",
                    code="key_exists",
                    param="id",
                )
            await self._check_with(tx, record, new_id, key)
            saved = await tx.save_key(KeyRecord(new_id, provider, key_document(key)))
        await self._live.changed(tx.version)
        return saved

    async def update(self, provider: str, key: str, body: dict[str, Any]) -> KeyRecord:
        """Full replacement; redacted values sent back unchanged keep the stored secret."""
        if body.get("id") not in (None, "", key):
            raise bad_request("the key id cannot be changed", param="id")
        async with self._repository.write() as tx:
            record = await active_provider(tx, provider)
            stored = await _key_of(tx, provider, key)
            merged = keep_redacted({**body, "id": key}, render_key(stored), stored.document)
            config = key_body(merged, self._env)
            await self._check_with(tx, record, key, config)
            document = key_document(config)
            saved = await tx.save_key(KeyRecord(key, provider, document, None, stored.position))
        await self._live.changed(tx.version)
        return saved

    async def delete(self, provider: str, key: str) -> KeyRecord:
        async with self._repository.write() as tx:
            await active_provider(tx, provider)
            stored = await _key_of(tx, provider, key)
            await tx.delete_key(key)
        await self._live.changed(tx.version)
        return stored

    async def _check_with(
        self, tx: StoreTx, record: ProviderRecord, new_id: str, new: KeyConfig
    ) -> None:
        """The provider must still route with this key in place of (or besides) its old one."""
        keys: list[KeyConfig] = []
        for other in await tx.keys(record.name):
            if other.key_id == new_id:
                continue
            try:
                keys.append(key_from_document(other.document, self._env))
            except ValidationError:
                continue  # an unset env reference: routing leaves that key out too
        check_routable(record.name, provider_from_document(record.document, [*keys, new]))


async def _key_of(tx: StoreTx, provider: str, key: str) -> KeyRecord:
    record = await tx.key(key)
    if record is None or record.provider != provider:
        raise key_not_found(provider, key)
    return record


def _refuse_keyless(record: ProviderRecord) -> None:
    custom = record.document.get("custom_provider_config")
    if isinstance(custom, dict) and custom.get("is_key_less"):
        raise bad_request(f"provider {record.name!r} is keyless: keys cannot be added to it")
