"""Helpers of the governance API tests: a gateway per config-store backend, seed 002 schema
checks, error checks, and the self-service quota call."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.gateway_process import GatewayProcess
from tests.management.backends import backend_env
from tests.management.client import ManagementClient
from tests.management.seed_schema import INFERENCE_COMMON, SEED, assert_valid

ADMIN_KEY = "admin-secret-for-governance-tests"
GOVERNANCE = SEED / "schemas" / "management" / "governance.yaml"
COMMON = SEED / "schemas" / "management" / "common.yaml"
G = "/api/governance"


@dataclass
class Gateway:
    process: GatewayProcess
    env: dict[str, str]


def gateway_config(upstream_url: str) -> dict[str, Any]:
    return {
        "providers": {
            "openai": {
                "keys": [{"id": "file-key", "name": "main", "value": "sk-file-key-000000000"}],
                "network_config": {"base_url": upstream_url},
            }
        }
    }


@contextmanager
def governance_gateway(backend: str, workdir: Path, upstream_url: str) -> Iterator[Gateway]:
    with backend_env(backend) as env:
        env["CLOVERLEAF_ADMIN_KEY"] = ADMIN_KEY
        with GatewayProcess(workdir, gateway_config(upstream_url), env=env) as process:
            yield Gateway(process, env)


def valid(payload: Any, name: str) -> Any:
    assert_valid(payload, name, GOVERNANCE)
    return payload


def error(api: ManagementClient, method: str, path: str, body: Any, status: int = 400) -> str:
    """The error's message, after checking its status and Bifrost shape."""
    got, payload = api.call(method, path, body)
    assert got == status, f"{method} {path} -> {got}: {payload}"
    assert_valid(payload, "BifrostError", INFERENCE_COMMON)
    message: str = payload["error"]["message"]
    assert message
    return message


def deleted(api: ManagementClient, path: str, gone: str | None = None) -> None:
    """DELETE answers a MessageResponse; afterwards `gone` (default: the path) is a 404."""
    assert_valid(api.ok("DELETE", path), "MessageResponse", COMMON)
    error(api, "GET" if gone is None else "DELETE", gone or path, None, 404)


def quota(gateway: Gateway, headers: dict[str, str]) -> tuple[int, Any]:
    """The self-service quota: no admin credential, the virtual key in `headers`."""
    url = gateway.process.base_url + f"{G}/virtual-keys/quota"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())
