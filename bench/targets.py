"""Systems under test: how to launch each one against the mock upstream.

Each target is a row: a name and a function building its command line. Both listen on
127.0.0.1 and answer ``GET /health`` with 200 once ready.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DIRECT = "direct"  # the mock itself, measured as the reference row

# (listen port, upstream base URL, a fresh scratch directory) -> argv
Command = Callable[[int, str, Path], list[str]]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    command: Command
    health_path: str = "/health"
    translates: bool = False  # can serve cases in another client dialect


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


def _floor(port: int, upstream: str, workdir: Path) -> list[str]:
    """The minimal uvicorn + pyreqwest pass-through: the lower bound for the gateway."""
    del workdir
    return [sys.executable, "-m", "bench.floor_proxy", "--port", str(port), "--upstream", upstream]


TARGETS: dict[str, Target] = {
    "floor": Target("floor", _floor),
    "gateway": Target("gateway", _gateway, translates=True),
}


def select(choice: str) -> list[Target]:
    """``all`` runs the floor first, so a gateway that fails to start still leaves a reference."""
    return list(TARGETS.values()) if choice == "all" else [TARGETS[choice]]
