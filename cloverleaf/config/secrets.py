"""Values that may be literal or come from the environment (Bifrost's EnvVar)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

ENV_PREFIX = "env."


class EnvValue(BaseModel):
    """A resolved value that remembers where it came from.

    Accepts `"literal"`, `"env.NAME"` or `{"env_var": "NAME", "from_env": true}` /
    `{"value": "literal"}`. The reference is kept so a store can persist `env.NAME` instead of
    the secret itself. `repr` never shows the value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str = ""
    env_var: str | None = None
    from_env: bool = False

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, raw: Any, info: ValidationInfo) -> Any:
        env: Mapping[str, str] = (info.context or {}).get("env", {})
        if isinstance(raw, str):
            if raw.startswith(ENV_PREFIX):
                return _from_env(raw[len(ENV_PREFIX) :], env)
            return {"value": raw}
        if isinstance(raw, dict) and raw.get("from_env") and raw.get("env_var"):
            name = str(raw["env_var"])
            return _from_env(name[len(ENV_PREFIX) :] if name.startswith(ENV_PREFIX) else name, env)
        return raw

    def __repr__(self) -> str:
        source = f"env.{self.env_var}" if self.from_env else "literal"
        return f"EnvValue({source}, {redact(self.value)})"

    __str__ = __repr__


def _from_env(name: str, env: Mapping[str, str]) -> dict[str, Any]:
    if not name:
        raise ValueError("empty environment variable name")
    if name not in env:
        raise ValueError(f"environment variable {name} is not set")
    return {"value": env[name], "env_var": name, "from_env": True}


def redact(secret: str) -> str:
    """At most a short prefix and suffix: enough to tell keys apart, never enough to use one."""
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:3]}...{secret[-4:]}"
