"""Systems under test: how to launch each one against the mock upstream.

Each target is a row: a name and a function building its command line. Both listen on
127.0.0.1 and answer ``GET /health`` with 200 once ready.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DIRECT = "direct"  # the mock itself, measured as the reference row

# (listen port, upstream base URL, a fresh scratch directory) -> argv
Command = Callable[[int, str, Path], list[str]]
Headers = tuple[tuple[str, str], ...]
# (listen port of the started system) -> headers every case sends to it (its client key)
Prepare = Callable[[int], Headers]
#: the Redis the governed-with-Redis target counts in (a prefix of its own per run)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    command: Command
    health_path: str = "/health"
    translates: bool = False  # can serve cases in another client dialect
    prepare: Prepare | None = None


def _gateway(port: int, upstream: str, workdir: Path) -> list[str]:
    """Cloverleaf with one worker, one OpenAI provider pointed at the mock."""
    config = workdir / "config.json"
    key = {"name": "bench", "value": "sk-upstream-bench", "models": [], "weight": 1}
    provider = {"keys": [key], "network_config": {"base_url": upstream}}
    config.write_text(json.dumps({"providers": {"openai": provider}}))
    data_dir = workdir / "data"
    data_dir.mkdir(exist_ok=True)
    return [
        sys.executable,
        "-m",
        "cloverleaf",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
    ]


def _gateway_redis(port: int, upstream: str, workdir: Path) -> list[str]:
    """The same gateway counting budgets and rate limits in Redis."""
    prefix = f"bench-{uuid.uuid4().hex[:12]}"
    env = ["env", f"CLOVERLEAF_REDIS_URL={REDIS_URL}", f"CLOVERLEAF_COUNTERS_PREFIX={prefix}"]
    return env + _gateway(port, upstream, workdir)


def _virtual_key(port: int) -> Headers:
    """A virtual key with a budget (and a rate limit nobody reaches) for every request: the
    cost of governance on the hot path. Management is open on loopback with no admin key."""
    body = {
        "name": "bench",
        "provider_configs": [{"provider": "openai", "weight": 1}],
        "budget": {"max_limit": 1_000_000, "reset_duration": "1d"},
        "rate_limit": {"request_max_limit": 1_000_000_000, "request_reset_duration": "1h"},
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/governance/virtual-keys",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        value: str = json.loads(response.read())["virtual_key"]["value"]
    return (("Authorization", f"Bearer {value}"), ("x-api-key", value))


def _floor(port: int, upstream: str, workdir: Path) -> list[str]:
    """The minimal uvicorn + pyreqwest pass-through: the lower bound for the gateway."""
    del workdir
    return [sys.executable, "-m", "bench.floor_proxy", "--port", str(port), "--upstream", upstream]


TARGETS: dict[str, Target] = {
    "floor": Target("floor", _floor),
    "gateway": Target("gateway", _gateway, translates=True),
    "gateway-vk": Target("gateway-vk", _gateway, translates=True, prepare=_virtual_key),
    "gateway-vk-redis": Target(
        "gateway-vk-redis", _gateway_redis, translates=True, prepare=_virtual_key
    ),
}


def select(choice: str) -> list[Target]:
    """``all`` runs the floor first, so a gateway that fails to start still leaves a reference."""
    return list(TARGETS.values()) if choice == "all" else [TARGETS[choice]]
