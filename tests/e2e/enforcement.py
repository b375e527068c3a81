"""Helpers of the enforcement tests: gateways per backend (SQLite + memory counters, or
Postgres + Redis with a prefix of their own), governance objects made through the API, and
chat requests sent concurrently over raw HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.gateway_process import GatewayProcess
from tests.management.backends import backend_env
from tests.management.client import ManagementClient
from tests.services import REDIS_URL, require_redis

ADMIN_KEY = "admin-secret-for-enforcement-tests"
G = "/api/governance"
#: priced only by the tests' overrides: input free, output $0.001 a token
METERED = "metered"
OUTPUT_PRICE = 0.001
T = TypeVar("T")


def config(upstream_url: str) -> dict[str, Any]:
    return {
        "providers": {
            "openai": {
                "keys": [
                    {"id": "key-a", "name": "a", "value": "sk-upstream-a"},
                    {"id": "key-b", "name": "b", "value": "sk-upstream-b"},
                ],
                "network_config": {"base_url": upstream_url, "max_retries": 0},
                "concurrency_and_buffer_size": {"concurrency": 200, "buffer_size": 200},
            }
        }
    }


@contextmanager
def backend(name: str) -> Iterator[dict[str, str]]:
    """`sqlite`: memory counters; `postgres`: Postgres config and Redis counters under a
    prefix no other test uses (never FLUSHALL)."""
    with backend_env(name) as env:
        env["CLOVERLEAF_ADMIN_KEY"] = ADMIN_KEY
        if name == "postgres":
            require_redis()
            env["CLOVERLEAF_REDIS_URL"] = REDIS_URL
            env["CLOVERLEAF_COUNTERS_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
        yield env


@dataclass
class Cluster:
    """One or more gateway instances sharing one config store (and Redis, on Postgres)."""

    processes: list[GatewayProcess]

    @property
    def urls(self) -> list[str]:
        return [p.base_url for p in self.processes]

    @property
    def api(self) -> ManagementClient:
        return ManagementClient(self.urls[0], ADMIN_KEY)


@contextmanager
def cluster(
    name: str,
    workdir: Path,
    upstream_url: str,
    instances: int = 1,
    extra: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    with backend(name) as env, ExitStack() as stack:
        env.update(extra or {})
        processes = []
        for index in range(instances):
            home = workdir / f"instance-{index}"
            home.mkdir()
            processes.append(
                stack.enter_context(GatewayProcess(home, config(upstream_url), env=env))
            )
        yield Cluster(processes)


def virtual_key(api: ManagementClient, **body: Any) -> tuple[str, str]:
    """A new virtual key (id, value); by default it may use every OpenAI model."""
    body.setdefault("name", f"key-{uuid.uuid4().hex[:8]}")
    body.setdefault("provider_configs", [{"provider": "openai", "weight": 1}])
    created = api.ok("POST", f"{G}/virtual-keys", body)["virtual_key"]
    return created["id"], created["value"]


def price(api: ManagementClient, pattern: str, output: float, **scope: Any) -> str:
    body = {
        "name": f"price-{uuid.uuid4().hex[:8]}",
        "scope_kind": "global",
        "match_type": "exact",
        "pattern": pattern,
        "request_types": ["chat_completion"],
        "patch": {"input_cost_per_token": 0, "output_cost_per_token": output},
        **scope,
    }
    created: str = api.ok("POST", f"{G}/pricing-overrides", body, status=201)["pricing_override"][
        "id"
    ]
    return created


def chat_body(model: str, max_tokens: int = 2) -> dict[str, Any]:
    """The mock echoes "echo: hi": exactly 2 completion tokens, so with `max_tokens=2` the
    worst case the gateway reserves is exactly what the request costs."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": max_tokens,
    }


async def _send(
    client: httpx.AsyncClient, url: str, key: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        url + "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )


def burst(urls: Sequence[str], key: str, body: dict[str, Any], count: int) -> list[httpx.Response]:
    """`count` requests at once, spread round-robin over the instances."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            sends = [_send(client, urls[i % len(urls)], key, body) for i in range(count)]
            return list(await asyncio.gather(*sends))

    return asyncio.run(run())


def chat(url: str, key: str, body: dict[str, Any]) -> httpx.Response:
    return burst([url], key, body, 1)[0]


def eventually(probe: Callable[[], T | None], timeout_s: float = 10.0) -> T:
    """The first non-None answer of `probe`: for what other instances or the live-usage reader
    pick up within their interval. Fails with the last answer when the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(0.1)


def settles_to(probe: Callable[[], T | None], expected: T, timeout_s: float = 10.0) -> None:
    """Wait until `probe` answers `expected`: spend is settled when each answer ends, which may
    be a moment after the client read its last byte, so an early read can see part of it."""
    deadline = time.monotonic() + timeout_s
    while (found := probe()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {expected!r} within {timeout_s}s, last saw {found!r}")
        time.sleep(0.05)


def known_everywhere(urls: Sequence[str], key: str) -> None:
    """Wait until every instance has loaded the key (config changes travel within seconds)."""
    for url in urls:
        api = ManagementClient(url)
        eventually(
            lambda api=api: (
                True  # type: ignore[misc]
                if api.call("GET", f"{G}/virtual-keys/quota", token=key)[0] == 200
                else None
            )
        )
