"""Read the config file and the environment into one validated GatewayConfig."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cloverleaf.config.providers import GatewayConfig


class ConfigError(ValueError):
    """A configuration problem, phrased for the person who wrote the config."""


def load_config(
    path: Path | None, env: Mapping[str, str], provider_names: Iterable[str]
) -> GatewayConfig:
    """File first, then `{PROVIDER}_API_KEY` / `{PROVIDER}_API_URL` for providers it lacks.

    The file is authoritative: the environment adds providers the file does not mention, and a
    key for a file provider that has none.
    """
    raw = read_config_file(path) if path is not None else {}
    providers = raw.setdefault("providers", {})
    if not isinstance(providers, dict):
        raise ConfigError("providers: must be an object mapping provider names to their config")
    for name in provider_names:
        _merge_env_provider(providers, name, env)
    try:
        return GatewayConfig.model_validate(raw, context={"env": env})
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid {_kind(path)}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be an object")
    return data


def _kind(path: Path) -> str:
    return "JSON" if path.suffix == ".json" else "YAML"


def _merge_env_provider(providers: dict[str, Any], name: str, env: Mapping[str, str]) -> None:
    prefix = name.upper().replace("-", "_")
    key = env.get(f"{prefix}_API_KEY")
    url = env.get(f"{prefix}_API_URL")
    if not key and not url:
        return
    entry = providers.get(name)
    if entry is None:
        entry = providers[name] = {}
    if not isinstance(entry, dict):
        return  # validation will report the bad entry
    if key and not entry.get("keys"):
        entry["keys"] = [{"name": f"env.{prefix}_API_KEY", "value": f"env.{prefix}_API_KEY"}]
    if url:
        network = entry.setdefault("network_config", {})
        if isinstance(network, dict):
            network.setdefault("base_url", url)


def describe_validation_error(exc: ValidationError) -> str:
    """`providers.openai.keys.0.weight: Input should be ...`, one line per problem."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {error['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)
