"""Config models ↔ the JSON documents the store seals: env references stay references."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from pydantic import BaseModel

from cloverleaf.config.providers import KeyConfig, ProviderConfig
from cloverleaf.config.secrets import EnvValue

Document = dict[str, Any]


def stored_form(model: BaseModel) -> Document:
    """The fields the user set, as JSON; an `env.NAME` value is stored as the reference only."""
    return {name: _stored_value(getattr(model, name)) for name in sorted(model.model_fields_set)}


def _stored_value(value: Any) -> Any:
    if isinstance(value, EnvValue):
        if value.from_env and value.env_var:
            return {"env_var": value.env_var, "from_env": True}
        return {"value": value.value}
    if isinstance(value, BaseModel):
        return stored_form(value)
    if isinstance(value, list | tuple):
        return [_stored_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _stored_value(item) for key, item in value.items()}
    return value


def content_hash(document: Document) -> str:
    """seed 000's config_hash: the same document always hashes the same."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def provider_document(config: ProviderConfig) -> Document:
    """A provider's own settings; its keys are stored one row each."""
    document = stored_form(config)
    document.pop("keys", None)
    return document


def key_document(key: KeyConfig) -> Document:
    return stored_form(key)


class AnyEnv(Mapping[str, str]):
    """An environment in which every variable exists and is empty: validates a stored document's
    shape, and renders references, without resolving (or needing) any secret."""

    def __getitem__(self, name: str) -> str:
        return ""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def key_from_document(document: Document, env: Mapping[str, str]) -> KeyConfig:
    """Raises pydantic's ValidationError when an env reference is not set in `env`."""
    return KeyConfig.model_validate(document, context={"env": env})


#: operational fields stored with a provider's document but not part of its config
PROVIDER_STATUS_FIELDS = ("status", "description")


def provider_from_document(document: Document, keys: list[KeyConfig]) -> ProviderConfig:
    settings = {k: v for k, v in document.items() if k not in PROVIDER_STATUS_FIELDS}
    config = ProviderConfig.model_validate({**settings, "keys": []})
    return config.model_copy(update={"keys": keys})
