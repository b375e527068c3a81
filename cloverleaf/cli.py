"""`cloverleaf serve | check-config | version`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cloverleaf import __version__
from cloverleaf.catalogue.load import catalogue_from_env
from cloverleaf.config.load import ConfigError
from cloverleaf.config.server import governance_settings_from_env, settings_from_env
from cloverleaf.providers.registry import UnknownProviderError
from cloverleaf.server.factory import load_gateway_config

_DEFAULT_CONFIG_NAMES = ("config.json", "config.yaml", "config.yml")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "version":
        print(f"cloverleaf {__version__}")
        return 0
    if args.command == "check-config":
        return _check_config(Path(args.file))
    if args.command == "migrate":
        return _migrate(args)
    return _serve(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cloverleaf", description="Cloverleaf LLM gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host", help="bind address (default 127.0.0.1, or SERVER_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080, or SERVER_PORT)")
    serve.add_argument("--data-dir", type=Path, default=None, help="default ./.cloverleaf")
    serve.add_argument("--config", type=Path, default=None, help="Bifrost-shaped JSON or YAML")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")
    check = commands.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("file")
    migrate = commands.add_parser("migrate", help="bring the config database schema up to date")
    migrate.add_argument("--data-dir", type=Path, default=None, help="default ./.cloverleaf")
    commands.add_parser("version", help="print the version")
    return parser


def _check_config(path: Path) -> int:
    settings = settings_from_env(os.environ, config_path=path)
    try:
        config = load_gateway_config(settings, os.environ)
    except (ConfigError, UnknownProviderError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    print(
        f"{path}: ok ({len(config.providers)} providers: {', '.join(config.providers) or 'none'})"
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    """The same migrations `serve` runs at startup, for deployments that migrate separately."""
    import asyncio  # noqa: PLC0415 (only this command needs an event loop here)

    from cloverleaf.storage.store import ConfigStore  # noqa: PLC0415

    env = os.environ
    data_dir: Path = args.data_dir or Path(env.get("CLOVERLEAF_DATA_DIR", ".cloverleaf"))

    async def run() -> str:
        store = ConfigStore(env.get("CLOVERLEAF_DATABASE_URL"), data_dir, env)
        try:
            await store.prepare(None)
            return store.backend
        finally:
            await store.aclose()

    try:
        backend = asyncio.run(run())
    except Exception as exc:
        print(f"cloverleaf: migration failed: {exc}", file=sys.stderr)
        return 1
    print(f"cloverleaf: {backend} config database is up to date")
    return 0


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    env = os.environ
    data_dir: Path = args.data_dir or Path(env.get("CLOVERLEAF_DATA_DIR", ".cloverleaf"))
    config_path = args.config or _default_config(data_dir, env.get("CLOVERLEAF_CONFIG"))
    try:
        settings = settings_from_env(
            env,
            host=args.host,
            port=args.port,
            data_dir=data_dir,
            config_path=config_path,
            workers=args.workers,
        )
        settings.check_bind()
        governance_settings_from_env(env).check(settings)
        config = load_gateway_config(settings, env)
        catalogue_from_env(env)  # a bad operator catalogue stops startup with its reason
    except (ConfigError, UnknownProviderError) as exc:
        print(f"cloverleaf: {exc}", file=sys.stderr)
        return 2
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not config.providers:
        logging.getLogger("cloverleaf").warning(
            "no providers configured: set e.g. OPENAI_API_KEY or pass --config FILE"
        )
    from cloverleaf.server.runner import serve  # noqa: PLC0415 (uvicorn loads only to serve)

    serve(settings, config)
    return 0


def _default_config(data_dir: Path, from_env: str | None) -> Path | None:
    if from_env:
        return Path(from_env)
    for name in _DEFAULT_CONFIG_NAMES:
        candidate = data_dir / name
        if candidate.exists():
            return candidate
    return None
