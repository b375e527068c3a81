"""Turn a stored snapshot into the GatewayConfig the routing table is built from."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import ValidationError

from cloverleaf.config.load import describe_validation_error
from cloverleaf.config.providers import GatewayConfig, KeyConfig, ProviderConfig
from cloverleaf.storage.documents import key_from_document, provider_from_document
from cloverleaf.storage.repository import DELETED, Snapshot

log = logging.getLogger("cloverleaf.storage")


def config_from_snapshot(
    snapshot: Snapshot, base: GatewayConfig, env: Mapping[str, str]
) -> GatewayConfig:
    """Stored providers replace the file's; the file's other sections (`client`, ...) stay.

    A key whose `env.NAME` reference is unset in this process is left out with a warning
    rather than failing the whole config: another instance may well have the variable.
    """
    configured: dict[str, ProviderConfig] = {}
    for record in snapshot.providers:
        if record.provider_status == DELETED:
            continue
        keys: list[KeyConfig] = []
        for key in snapshot.keys_of(record.name):
            try:
                keys.append(key_from_document(key.document, env))
            except ValidationError as exc:
                log.warning(
                    "provider %s: key %s left out: %s",
                    record.name,
                    key.key_id,
                    describe_validation_error(exc),
                )
        try:
            configured[record.name] = provider_from_document(record.document, keys)
        except ValidationError as exc:
            log.error("provider %s left out: %s", record.name, describe_validation_error(exc))
    return base.model_copy(update={"providers": configured})
