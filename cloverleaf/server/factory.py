"""Build the app from settings + environment; also the entry point for extra worker processes."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Mapping
from pathlib import Path

from cloverleaf.config.load import load_config
from cloverleaf.config.providers import GatewayConfig
from cloverleaf.config.server import ServerSettings
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.providers.registry import BUILTIN
from cloverleaf.routing.table import build_table
from cloverleaf.server.app import CloverleafApp
from cloverleaf.transport.pyreqwest_transport import PyreqwestTransport

#: how the supervisor hands its resolved settings to worker processes
SETTINGS_ENV = "CLOVERLEAF_WORKER_SETTINGS"


def load_gateway_config(settings: ServerSettings, env: Mapping[str, str]) -> GatewayConfig:
    """Load and fully validate (provider names included), so a bad config never half-starts."""
    config = load_config(settings.config_path, env, BUILTIN)
    build_table(config)
    return config


def build_app(
    settings: ServerSettings, config: GatewayConfig, draining: Callable[[], bool] = lambda: False
) -> CloverleafApp:
    seed = os.environ.get("CLOVERLEAF_SEED")  # reproducible key choice, for tests and debugging
    rng = random.Random(int(seed)) if seed else None
    gateway = Gateway(build_table(config), PyreqwestTransport(), rng)
    return CloverleafApp(gateway, settings, config, draining)


def settings_to_env(settings: ServerSettings) -> str:
    values = {
        "config_path": str(settings.config_path) if settings.config_path else None,
        "host": settings.host,  # workers decide whether client keys are required by the bind
        "data_dir": str(settings.data_dir),
        "read_timeout_s": settings.read_timeout_s,
        "write_timeout_s": settings.write_timeout_s,
        "max_body_bytes": settings.max_body_bytes,
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "enable_auth": settings.enable_auth,
        "oidc_issuer_url": settings.oidc_issuer_url,
        "oidc_client_id": settings.oidc_client_id,
    }
    return json.dumps(values)


def create_worker_app() -> CloverleafApp:
    """uvicorn's factory for `--workers N`: each worker rebuilds the same app from the env."""
    values = json.loads(os.environ[SETTINGS_ENV])
    config_path = values.pop("config_path")
    settings = ServerSettings(
        config_path=Path(config_path) if config_path else None,
        data_dir=Path(values.pop("data_dir")),
        # the admin key is not written into the hand-over variable; workers inherit it
        admin_key=os.environ.get("CLOVERLEAF_ADMIN_KEY") or None,
        **values,
    )
    return build_app(settings, load_gateway_config(settings, os.environ))
