"""Live reload: in this process at once, in other instances within 2 s, across restarts."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.gateway_process import GatewayProcess
from tests.management.backends import backend_env
from tests.management.client import ManagementClient
from tests.mocks.openai_upstream import MockOpenAI, SlowStream
from tests.services import REDIS_URL, require_redis

ADMIN = "instances-admin-key"


def _eventually(check: Callable[[], bool], within_s: float) -> float:
    """Seconds until `check()` held; fails after `within_s`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within_s, f"not seen within {within_s}s"
        time.sleep(0.02)
    return time.monotonic() - start


def _chat(gateway: GatewayProcess, model: str) -> None:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="c", max_retries=0) as sdk:
        sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("notify", ["poll", "redis"])
def test_two_instances_on_one_postgres_see_each_others_changes(
    notify: str, upstream: MockOpenAI, tmp_path: Path
) -> None:
    if notify == "redis":
        require_redis()
    with backend_env("postgres") as env:
        env["CLOVERLEAF_ADMIN_KEY"] = ADMIN
        if notify == "redis":
            env["CLOVERLEAF_REDIS_URL"] = REDIS_URL
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with (
            GatewayProcess(tmp_path / "a", env=env) as first,
            GatewayProcess(tmp_path / "b", env=env) as second,
        ):
            api_a = ManagementClient(first.base_url, ADMIN)
            api_b = ManagementClient(second.base_url, ADMIN)
            body = {"provider": "openai", "network_config": {"base_url": upstream.base_url}}
            api_a.ok("POST", "/api/providers", body)
            api_a.ok("POST", "/api/providers/openai/keys", {"id": "k1", "value": "sk-one-from-a"})
            # the writer applies its own change before answering
            _chat(first, "openai/gpt-4o")
            assert upstream.last_request.headers["authorization"] == "Bearer sk-one-from-a"

            def b_has_key() -> bool:
                return api_b.call("GET", "/api/providers/openai/keys/k1")[0] == 200

            assert _eventually(b_has_key, within_s=2.0) < 2.0
            _eventually(lambda: _serves(second, "openai/gpt-4o"), within_s=2.0)
            assert upstream.last_request.headers["authorization"] == "Bearer sk-one-from-a"

            # and back: B changes the key, A follows
            changed = {"id": "k1", "value": "sk-two-from-b"}
            api_b.ok("PUT", "/api/providers/openai/keys/k1", changed)

            def a_uses_new_key() -> bool:
                _chat(first, "openai/gpt-4o")
                auth: str = upstream.last_request.headers["authorization"]
                return auth == "Bearer sk-two-from-b"

            assert _eventually(a_uses_new_key, within_s=2.0) < 2.0


def _serves(gateway: GatewayProcess, model: str) -> bool:
    try:
        _chat(gateway, model)
    except openai.APIStatusError:
        return False
    return True


def test_in_flight_stream_survives_a_config_change(upstream: MockOpenAI, tmp_path: Path) -> None:
    upstream.enqueue(SlowStream(interval=0.05, chunks=20))
    config = {
        "providers": {
            "openai": {"keys": [{"value": "k"}], "network_config": {"base_url": upstream.base_url}}
        }
    }
    with GatewayProcess(tmp_path, config) as gateway:
        api = ManagementClient(gateway.base_url)  # loopback, no admin key configured
        conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
        body = b'{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}'
        conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        response = conn.getresponse()
        assert response.readline().startswith(b"data: ")
        api.ok("DELETE", "/api/providers/openai")  # the table changes under the stream
        rest = response.read()
        conn.close()
        assert rest.rstrip().endswith(b"data: [DONE]")
        assert rest.count(b"tick") >= 18
        status, _ = api.call("GET", "/api/providers/openai")
        assert status == 404


def test_api_changes_survive_a_restart_until_the_file_changes(
    upstream: MockOpenAI, tmp_path: Path
) -> None:
    def config(timeout: int) -> dict[str, Any]:
        network = {"base_url": upstream.base_url, "default_request_timeout_in_seconds": timeout}
        return {"providers": {"openai": {"keys": [{"value": "k"}], "network_config": network}}}

    def timeout_of(gateway: GatewayProcess) -> int:
        provider = ManagementClient(gateway.base_url).ok("GET", "/api/providers/openai")
        value: int = provider["network_config"]["default_request_timeout_in_seconds"]
        return value

    with GatewayProcess(tmp_path, config(30)) as gateway:
        api = ManagementClient(gateway.base_url)
        update = {
            "network_config": {
                "base_url": upstream.base_url,
                "default_request_timeout_in_seconds": 99,
            }
        }
        api.ok("PUT", "/api/providers/openai", update)
        api.ok("POST", "/api/providers/openai/keys", {"id": "added", "value": "sk-added-by-api"})
    with GatewayProcess(tmp_path, config(30)) as gateway:  # same file: the API's changes stay
        assert timeout_of(gateway) == 99
        api = ManagementClient(gateway.base_url)
        keys = api.ok("GET", "/api/providers/openai/keys")
        assert [k["id"] for k in keys["keys"]] == ["openai-0", "added"]
        api.ok("DELETE", "/api/providers/openai")
    with GatewayProcess(tmp_path, config(30)) as gateway:  # an unchanged file does not undelete
        status, _ = ManagementClient(gateway.base_url).call("GET", "/api/providers/openai")
        assert status == 404
    with GatewayProcess(tmp_path, config(45)) as gateway:  # changed file: it wins
        assert timeout_of(gateway) == 45
        keys = ManagementClient(gateway.base_url).ok("GET", "/api/providers/openai/keys")
        assert [k["id"] for k in keys["keys"]] == ["openai-0"]


def test_a_different_master_key_stops_startup(tmp_path: Path) -> None:
    GatewayProcess(tmp_path, env={"CLOVERLEAF_MASTER_KEY": "first-key"}).start().stop()
    with pytest.raises(RuntimeError, match="master"):
        GatewayProcess(tmp_path, env={"CLOVERLEAF_MASTER_KEY": "second-key"}).start()
