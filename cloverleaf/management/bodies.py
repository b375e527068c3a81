"""Request bodies of the providers and keys API, validated into config models (400 on error)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cloverleaf.config.load import describe_validation_error
from cloverleaf.config.providers import KeyConfig, ProviderConfig
from cloverleaf.core.errors import GatewayError, bad_request

_M = TypeVar("_M", bound=BaseModel)

#: API.md §4 Rule 3: static sub-routes of /api/providers cannot be provider names
RESERVED_NAMES = frozenset({"client", "validate", "test-batch", "keys"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
#: fields a GET returns that a client may send back in a PUT; they are not settable
_PROVIDER_READ_ONLY = (
    "name",
    "provider",
    "provider_status",
    "config_hash",
    "status",
    "description",
)
_KEY_READ_ONLY = ("config_hash",)


def provider_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise bad_request("provider is required and must be a string", param="provider")
    if name in RESERVED_NAMES:
        raise bad_request(f"{name!r} is reserved and cannot be a provider name", param="provider")
    if not _NAME.fullmatch(name):
        raise bad_request(
            f"invalid provider name {name!r}: use letters, digits, '.', '_' or '-' "
            "(at most 128 characters, no '/')",
            param="provider",
        )
    return name


def key_id(value: Any) -> str:
    if not isinstance(value, str) or not _KEY_ID.fullmatch(value):
        raise bad_request(
            "key id must be a string of letters, digits and . _ : @ - (at most 128 characters)",
            param="id",
        )
    return value


def provider_settings(body: Mapping[str, Any]) -> ProviderConfig:
    """AddProviderRequest / UpdateProviderRequest without `provider`; keys are not accepted."""
    if "keys" in body:
        raise bad_request(
            "keys are managed separately: use /api/providers/{provider}/keys", param="keys"
        )
    settings = {k: v for k, v in body.items() if k not in _PROVIDER_READ_ONLY}
    return _validated(ProviderConfig, settings)


def key_body(body: Mapping[str, Any], env: Mapping[str, str]) -> KeyConfig:
    settings = {k: v for k, v in body.items() if k not in _KEY_READ_ONLY}
    key = _validated(KeyConfig, settings, env)
    if not key.value.value and not key.value.from_env and key.server_url() is None:
        raise bad_request("value is required and must not be empty", param="value")
    return key


def _validated(
    model: type[_M], data: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> _M:
    """Strict: a JSON API takes JSON types as they are (`"3"` is not an integer, `"yes"` not a
    boolean), unlike the config file. The 400 names every bad field; `param` the first."""
    try:
        return model.model_validate(dict(data), strict=True, context={"env": env or {}})
    except ValidationError as exc:
        message = describe_validation_error(exc).replace("invalid configuration", "invalid body")
        first = exc.errors()[0]["loc"] if exc.error_count() else ()
        param = ".".join(str(part) for part in first) or None
        raise GatewayError(400, message, param=param) from None
