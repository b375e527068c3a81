"""Response bodies in seed 000's shapes, with every secret redacted.

Secrets never leave the store whole: a literal value shows a short prefix and suffix at most,
an `env.NAME` reference shows the name and no value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cloverleaf.config.secrets import EnvValue
from cloverleaf.storage.documents import (
    PROVIDER_STATUS_FIELDS,
    AnyEnv,
    key_from_document,
    provider_from_document,
)
from cloverleaf.storage.repository import KeyRecord, ProviderRecord

#: EnvVar / string fields that hold credentials (others, like an Azure endpoint, are shown)
SECRET_FIELDS = frozenset(
    {"value", "client_secret", "auth_credentials", "access_key", "secret_key", "session_token"}
)
#: plain-string secrets (not EnvVar objects)
SECRET_STRINGS = frozenset({"password"})
_SHORT = 20


def redact_secret(secret: str) -> str:
    """Enough to tell keys apart (`sk-p...9xQz`), never enough to use one; short secrets show
    nothing at all."""
    if not secret:
        return ""
    if len(secret) < _SHORT:
        return "********"
    return f"{secret[:4]}...{secret[-4:]}"


def render_key(record: KeyRecord) -> dict[str, Any]:
    key = key_from_document(record.document, AnyEnv())
    rendered = render_model(key)
    rendered["id"] = record.key_id
    if record.config_hash:
        rendered["config_hash"] = record.config_hash
    return rendered


def render_provider(record: ProviderRecord) -> dict[str, Any]:
    config = provider_from_document(record.document, [])
    rendered: dict[str, Any] = {"name": record.name}
    rendered.update(render_model(config))
    rendered.pop("keys", None)
    rendered["provider_status"] = record.provider_status
    for name in PROVIDER_STATUS_FIELDS:
        if isinstance(record.document.get(name), str):
            rendered[name] = record.document[name]
    if record.config_hash:
        rendered["config_hash"] = record.config_hash
    return rendered


def render_model(model: BaseModel) -> dict[str, Any]:
    """Every field with a value (defaults included, so clients see the effective config)."""
    rendered: dict[str, Any] = {}
    items = [(name, getattr(model, name)) for name in type(model).model_fields]
    items += list((model.model_extra or {}).items())
    for name, value in items:
        if value is not None:
            rendered[name] = _render_value(name, value)
    return rendered


def render_env(value: EnvValue, secret: bool) -> dict[str, Any]:
    if value.from_env and value.env_var:
        return {"value": "", "env_var": f"env.{value.env_var}", "from_env": True}
    shown = redact_secret(value.value) if secret else value.value
    return {"value": shown, "env_var": "", "from_env": False}


def _render_value(name: str, value: Any) -> Any:
    if isinstance(value, EnvValue):
        return render_env(value, name in SECRET_FIELDS)
    if isinstance(value, BaseModel):
        return render_model(value)
    if isinstance(value, str) and name in SECRET_STRINGS:
        return redact_secret(value)
    if isinstance(value, list | tuple):
        return [_render_value(name, item) for item in value]
    if isinstance(value, dict):
        return {key: _render_value(key, item) for key, item in value.items()}
    return value


def keep_redacted(incoming: Any, shown: Any, stored: Any) -> Any:
    """Seed 000's PUT rule: a redacted value sent back unchanged keeps the stored secret.

    `shown` is what a GET returned for the stored value; wherever `incoming` still equals it,
    the stored form is used instead (it differs only where something was redacted).
    """
    if stored is None:
        return incoming
    if _same_as_shown(incoming, shown):
        return stored
    if isinstance(incoming, dict) and isinstance(shown, dict) and isinstance(stored, dict):
        return {
            key: keep_redacted(value, shown.get(key), stored.get(key))
            for key, value in incoming.items()
        }
    return incoming


def _same_as_shown(incoming: Any, shown: Any) -> bool:
    if incoming == shown:
        return True
    if not (isinstance(shown, dict) and shown.keys() == {"value", "env_var", "from_env"}):
        return False
    if isinstance(incoming, str):  # EnvVar sent back in its string form
        return incoming == shown["value"] and not shown["from_env"]
    if isinstance(incoming, dict):
        return (
            incoming.get("value", "") == shown["value"]
            and incoming.get("env_var", "") in ("", shown["env_var"])
            and bool(incoming.get("from_env", False)) == shown["from_env"]
        )
    return False
