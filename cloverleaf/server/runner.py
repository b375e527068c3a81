"""Run the app under uvicorn: uvloop + httptools, graceful drain on SIGTERM, optional TLS."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

from cloverleaf.config.providers import GatewayConfig
from cloverleaf.config.server import ServerSettings
from cloverleaf.server.factory import SETTINGS_ENV, build_app, settings_to_env


def _uvicorn_options(settings: ServerSettings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,  # no client-address use yet; saves a middleware per request
        "timeout_keep_alive": max(1, round(settings.idle_timeout_s)),
        # SIGTERM: stop accepting, let in-flight requests (streams included) finish this long
        "timeout_graceful_shutdown": max(1, round(settings.grace_period_s)),
        "ssl_certfile": str(settings.tls_cert_path) if settings.tls_cert_path else None,
        "ssl_keyfile": str(settings.tls_key_path) if settings.tls_key_path else None,
        "log_level": "info",
    }


def serve(settings: ServerSettings, config: GatewayConfig) -> None:
    if settings.workers > 1:
        os.environ[SETTINGS_ENV] = settings_to_env(settings)
        uvicorn.run(
            "cloverleaf.server.factory:create_worker_app",
            factory=True,
            workers=settings.workers,
            **_uvicorn_options(settings),
        )
        return
    server: uvicorn.Server | None = None

    def draining() -> bool:
        return server is not None and server.should_exit

    app = build_app(settings, config, draining)
    server = uvicorn.Server(uvicorn.Config(app, **_uvicorn_options(settings)))
    server.run()
