"""How the HTTP server runs: CLI flags first, then the Inference Gateway's SERVER_* variables."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cloverleaf.config.load import ConfigError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".cloverleaf")
    config_path: Path | None = None
    workers: int = 1
    tls_cert_path: Path | None = None
    tls_key_path: Path | None = None
    #: bound on receiving a request body (SERVER_READ_TIMEOUT)
    read_timeout_s: float = 60.0
    #: bound on one response write to a client that stopped reading (SERVER_WRITE_TIMEOUT)
    write_timeout_s: float = 60.0
    #: keep-alive idle timeout (SERVER_IDLE_TIMEOUT)
    idle_timeout_s: float = 120.0
    #: SIGTERM drain window for in-flight requests, streams included
    grace_period_s: float = 30.0
    max_body_bytes: int = 32 * 1024 * 1024
    admin_key: str | None = None
    #: CLOVERLEAF_DATABASE_URL: postgresql://... for several instances; default a SQLite file
    database_url: str | None = None
    #: CLOVERLEAF_REDIS_URL: config changes reach other instances at once (else by polling)
    redis_url: str | None = None
    #: ENABLE_AUTH (Inference Gateway seed): admin and inference routes accept the issuer's JWTs
    enable_auth: bool = False
    #: OIDC_ISSUER_URL: where `/.well-known/openid-configuration` and the JWKS are found
    oidc_issuer_url: str | None = None
    #: OIDC_CLIENT_ID: the audience every accepted token must name
    oidc_client_id: str | None = None

    @property
    def tls(self) -> bool:
        return self.tls_cert_path is not None

    def check_bind(self) -> None:
        """Refuse to expose an unauthenticated gateway beyond this machine."""
        if not is_loopback(self.host) and not self.admin_key and not self.enable_auth:
            raise ConfigError(
                f"refusing to bind {self.host}: a non-loopback address needs "
                "CLOVERLEAF_ADMIN_KEY (or ENABLE_AUTH=true with OIDC) set, so management is "
                "never open to the network"
            )
        if self.enable_auth and not (self.oidc_issuer_url and self.oidc_client_id):
            raise ConfigError("ENABLE_AUTH=true needs OIDC_ISSUER_URL and OIDC_CLIENT_ID")
        if (self.tls_cert_path is None) != (self.tls_key_path is None):
            raise ConfigError("TLS needs both SERVER_TLS_CERT_PATH and SERVER_TLS_KEY_PATH")
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1")
        if self.workers > 1 and not self.redis_url:
            raise ConfigError(
                f"refusing to start {self.workers} workers with in-memory counters: budgets and "
                "rate limits would be counted per process and multiply; set CLOVERLEAF_REDIS_URL "
                "or run one worker"
            )


REQUIRE_MODES = ("auto", "always", "never")
REDIS_DOWN_POLICIES = ("refuse", "allow_local")


@dataclass(frozen=True, slots=True)
class GovernanceSettings:
    """How inference requests are governed. Read from the environment by every worker."""

    #: CLOVERLEAF_REQUIRE_CLIENT_KEY: `auto` = required once any virtual key exists
    require_client_key: str = "auto"
    #: CLOVERLEAF_COUNTERS_ON_REDIS_DOWN: refuse budgeted requests (503) or count locally
    counters_on_redis_down: str = "refuse"
    #: CLOVERLEAF_COUNTERS_PREFIX: the Redis key prefix (hash tag) of the counters
    counters_prefix: str = "cloverleaf"
    #: CLOVERLEAF_REDIS_TIMEOUT: one Redis round trip's bound (a call may take three: connect,
    #: script reload, call); short, so a dead Redis costs a request little
    redis_timeout_s: float = 0.25

    def check(self, settings: ServerSettings) -> None:
        if self.require_client_key == "never" and not (
            is_loopback(settings.host) or settings.enable_auth
        ):
            raise ConfigError(
                f"CLOVERLEAF_REQUIRE_CLIENT_KEY=never cannot be used on {settings.host}: a "
                "non-loopback bind needs client keys (or ENABLE_AUTH=true with OIDC)"
            )


def governance_settings_from_env(env: Mapping[str, str]) -> GovernanceSettings:
    require = env.get("CLOVERLEAF_REQUIRE_CLIENT_KEY", "auto").strip().lower() or "auto"
    if require not in REQUIRE_MODES:
        raise ConfigError(
            f"CLOVERLEAF_REQUIRE_CLIENT_KEY: {require!r} is not one of {', '.join(REQUIRE_MODES)}"
        )
    policy = env.get("CLOVERLEAF_COUNTERS_ON_REDIS_DOWN", "refuse").strip().lower() or "refuse"
    if policy not in REDIS_DOWN_POLICIES:
        raise ConfigError(
            f"CLOVERLEAF_COUNTERS_ON_REDIS_DOWN: {policy!r} is not one of "
            + ", ".join(REDIS_DOWN_POLICIES)
        )
    prefix = env.get("CLOVERLEAF_COUNTERS_PREFIX", "").strip() or "cloverleaf"
    if "{" in prefix or "}" in prefix:
        raise ConfigError("CLOVERLEAF_COUNTERS_PREFIX cannot contain braces")
    timeout = 0.25
    if env.get("CLOVERLEAF_REDIS_TIMEOUT"):
        timeout = parse_duration(env["CLOVERLEAF_REDIS_TIMEOUT"], "CLOVERLEAF_REDIS_TIMEOUT")
        if not 0 < timeout <= 10:
            raise ConfigError("CLOVERLEAF_REDIS_TIMEOUT must be between 1ms and 10s")
    return GovernanceSettings(require, policy, prefix, timeout)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_duration(text: str, name: str) -> float:
    """Go-style durations (`30s`, `1m30s`, `500ms`) as the Inference Gateway uses, or seconds."""
    value = text.strip()
    try:
        return float(value)
    except ValueError:
        pass
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value) or not value:
        raise ConfigError(f"{name}: {text!r} is not a duration (examples: 30s, 1m30s, 500ms)")
    return total


def parse_flag(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise ConfigError(f"{name}: {text!r} is not a boolean (true or false)")


def settings_from_env(env: Mapping[str, str], **overrides: object) -> ServerSettings:
    """Environment defaults under explicit CLI values (`None` overrides are ignored)."""
    values: dict[str, object] = {}
    if "SERVER_HOST" in env:
        values["host"] = env["SERVER_HOST"]
    if "SERVER_PORT" in env:
        try:
            values["port"] = int(env["SERVER_PORT"])
        except ValueError:
            raise ConfigError(f"SERVER_PORT: {env['SERVER_PORT']!r} is not a port") from None
    for var, field in (
        ("SERVER_READ_TIMEOUT", "read_timeout_s"),
        ("SERVER_WRITE_TIMEOUT", "write_timeout_s"),
        ("SERVER_IDLE_TIMEOUT", "idle_timeout_s"),
        ("CLOVERLEAF_SHUTDOWN_GRACE", "grace_period_s"),
    ):
        if env.get(var):
            values[field] = parse_duration(env[var], var)
    if env.get("SERVER_TLS_CERT_PATH"):
        values["tls_cert_path"] = Path(env["SERVER_TLS_CERT_PATH"])
    if env.get("SERVER_TLS_KEY_PATH"):
        values["tls_key_path"] = Path(env["SERVER_TLS_KEY_PATH"])
    if env.get("CLOVERLEAF_ADMIN_KEY"):
        values["admin_key"] = env["CLOVERLEAF_ADMIN_KEY"]
    if env.get("CLOVERLEAF_DATABASE_URL"):
        values["database_url"] = env["CLOVERLEAF_DATABASE_URL"]
    if env.get("CLOVERLEAF_REDIS_URL"):
        values["redis_url"] = env["CLOVERLEAF_REDIS_URL"]
    if env.get("ENABLE_AUTH"):
        values["enable_auth"] = parse_flag(env["ENABLE_AUTH"], "ENABLE_AUTH")
    if env.get("OIDC_ISSUER_URL"):
        values["oidc_issuer_url"] = env["OIDC_ISSUER_URL"]
    if env.get("OIDC_CLIENT_ID"):
        values["oidc_client_id"] = env["OIDC_CLIENT_ID"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ServerSettings(**values)  # type: ignore[arg-type]
